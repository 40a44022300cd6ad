"""``promoteros db``: apply and inspect the warehouse schema migrations."""

import click

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.runtime import database as db
from promoteros_pipelines.runtime.dagster_home import ensure_dagster_home
from promoteros_pipelines.runtime.dagster_storage import ensure_dagster_storage
from promoteros_pipelines.settings import redact


@click.group("db")
def command() -> None:
    """Manage the warehouse schema (Alembic migrations of schema `promoteros`)."""


@command.command("upgrade")
@click.option("--revision", default="heads", show_default=True, help="Target revision.")
@friendly_errors
def upgrade(revision: str) -> None:
    """Apply every migration not yet applied and create Dagster's tables if missing (starts
    the embedded server if needed). Run it once before starting Celery workers on a new
    database."""
    target = db.resolve_target()
    db.upgrade(target.warehouse_url, revision)
    status = db.schema_status(target.warehouse_url)
    console.print(
        f"Schema at {', '.join(status.current) or 'base'} on {redact(target.warehouse_url)}"
    )
    target.export()
    ensure_dagster_home()
    ensure_dagster_storage(target.dagster_url)
    console.print(f"Dagster's tables ready on {redact(target.dagster_url)}")


@command.command("status")
@friendly_errors
def status() -> None:
    """Show the applied and the latest migration; exit 1 when migrations are pending."""
    target = db.resolve_target()
    state = db.schema_status(target.warehouse_url)
    click.echo(f"database: {redact(target.warehouse_url)}")
    click.echo(f"applied:  {', '.join(state.current) or '(none)'}")
    click.echo(f"latest:   {', '.join(state.heads)}")
    if state.up_to_date:
        click.echo("status:   up to date")
    else:
        click.echo("status:   migrations pending; run `promoteros db upgrade`")
        raise SystemExit(1)
