"""``promoteros load observations FILE.csv``: bring your own metric history into the warehouse."""

from pathlib import Path

import click

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.defs.metrics.history import load_history
from promoteros_pipelines.domain.observation_csv import ObservationFileError
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready
from promoteros_pipelines.settings import HISTORY_START_ENV, history_start


@click.command("observations")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--source",
    default="import",
    show_default=True,
    help="Stored as metric_observations.source; a later load of the same source corrects "
    "its own values, never another source's.",
)
@friendly_errors
def load_observations(file: Path, source: str) -> None:
    """Load a metric history from FILE (CSV) into metric_observations.

    Columns: platform, external_id, artist_name, metric, value, observed_at (ISO 8601; no
    offset means UTC). Every row is checked first: one bad row (with its line number) and
    nothing is loaded. Artists not tracked yet are tracked, matched by platform id, then by
    name. Loading the same file twice changes nothing. Progress goes to stderr.
    """
    try:
        target = ensure_ready()
        summary = load_history(
            PostgresWarehouse(database_url=target.warehouse_url),
            file,
            source=source,
            progress=lambda message: console.log(message),
        )
    except ObservationFileError as error:
        raise click.ClickException(str(error)) from error
    rate = summary.rows_read / summary.seconds if summary.seconds else 0
    click.echo(
        f"{summary.rows_read:,} rows read, {summary.observations:,} observations: "
        f"{summary.inserted_or_changed:,} inserted or changed (source {source!r}); "
        f"artists: {summary.artists_created:,} newly tracked, {summary.artists_matched:,} "
        f"matched; {summary.seconds:.1f} s ({rate:,.0f} rows/s)"
    )
    if summary.unmatched_rows:
        click.echo(
            f"{summary.unmatched_rows:,} rows wait in pending_observations: their platform id "
            "could not be given to the artist named (see the conflicts below)"
        )
    for conflict in summary.conflicts[:20]:
        console.print(f"[yellow]conflict[/] {conflict}")
    first, last = summary.first_observed, summary.last_observed
    if first is not None and last is not None:
        click.echo(f"history from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC")
        start = history_start()
        if first.date() < start:
            click.echo(
                f"note: the partitions start on {start}; set {HISTORY_START_ENV}="
                f"{first.date()} for promoteros and dagster to analyse the earlier days "
                f"(then: promoteros detect viral --since {first.date()})"
            )
