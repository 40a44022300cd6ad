"""``promoteros load reference DIR``: load your own organisations, venues and recipients."""

from pathlib import Path

import click

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.cli.observations import load_observations
from promoteros_pipelines.defs.reference.loader import read_reference
from promoteros_pipelines.defs.reference.store import store_reference
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready


@click.group("load")
def command() -> None:
    """Load data files into the warehouse."""


@command.command("reference")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@friendly_errors
def load_reference(directory: Path) -> None:
    """Validate and upsert organisations, venues and recipients from DIRECTORY.

    DIRECTORY holds organisations, venues and recipients files (.csv or .yaml). All three are
    checked first; nothing is written if any row is invalid. Loading twice changes nothing.
    """
    data = read_reference(directory)
    target = ensure_ready()
    counts = store_reference(PostgresWarehouse(database_url=target.warehouse_url), data)
    for table, changed in counts.items():
        console.print(f"{table}: {changed} rows inserted or changed")


command.add_command(load_observations)
