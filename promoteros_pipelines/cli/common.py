"""What every command shares: turning configuration errors into one clear line, and set-up."""

import functools
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console

from promoteros_pipelines.defs.reference.loader import ReferenceDataError
from promoteros_pipelines.runtime.dagster_home import ensure_dagster_home
from promoteros_pipelines.runtime.dagster_storage import ensure_dagster_storage
from promoteros_pipelines.runtime.database import DatabaseTarget, ensure_ready
from promoteros_pipelines.settings import ConfigurationError, redact

console = Console(stderr=True, highlight=False, soft_wrap=True)


def friendly_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Show configuration and data errors as one readable line and exit 2, not a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (ConfigurationError, ReferenceDataError) as error:
            raise click.ClickException(str(error)) from error

    return wrapper


def prepare_environment() -> DatabaseTarget:
    """Database up and migrated, Dagster home written and its tables made, URLs exported for
    child processes (which then find nothing left to create at the same time)."""
    with console.status("Starting the database and applying migrations..."):
        target = ensure_ready()
        ensure_dagster_home()
        ensure_dagster_storage(target.dagster_url)
    where = "embedded PostgreSQL" if target.embedded else "PostgreSQL"
    console.print(f"[green]✓[/] {where} ready: {redact(target.warehouse_url)}")
    return target
