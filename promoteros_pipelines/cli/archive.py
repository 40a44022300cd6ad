"""``promoteros archive list|restore MONTH``: the months of metric_observations kept as Parquet
in the report store, and bringing one back.

The nightly maintenance archives months older than PROMOTEROS_OBSERVATION_RETENTION_MONTHS
(default 13) to the report store (PROMOTEROS_REPORT_STORE_URL / PROMOTEROS_REPORT_STORE);
these commands use the same store and database.
"""

import datetime as dt
import json

import click
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.defs.operations import archive_store
from promoteros_pipelines.defs.operations.archive import (
    DEFAULT_KEEP_DAYS,
    ArchiveError,
    restore_month,
    retention_months,
)
from promoteros_pipelines.domain.archive import archive_cutoff, parse_month
from promoteros_pipelines.report_store.store_config import report_store_from_env
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready


def _warehouse() -> PostgresWarehouse:
    return PostgresWarehouse(database_url=ensure_ready().warehouse_url)


@click.group("archive")
def command() -> None:
    """Old months of metric observations, archived to Parquet in the report store."""


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@friendly_errors
def list_months(as_json: bool) -> None:
    """Archived months (with rows and size) and whether each is back in the database."""
    warehouse = _warehouse()
    in_database = set(archive_store.partition_months(warehouse))
    records = archive_store.archive_records(warehouse)
    cutoff = archive_cutoff(dt.datetime.now(dt.UTC).date(), retention_months())
    months = [
        {
            "month": f"{r['month']:%Y-%m}",
            "rows": r["rows"],
            "size_bytes": r["size_bytes"],
            "archived_at": r["archived_at"].isoformat(),
            "in_database": r["month"] in in_database,
            "keep_until": r["keep_until"].isoformat() if r["keep_until"] else None,
            "object_key": r["object_key"],
        }
        for r in records
    ]
    waiting = sorted(f"{m:%Y-%m}" for m in in_database if m < cutoff)
    if as_json:
        document = {"archived": months, "due": waiting, "first_month_kept": f"{cutoff:%Y-%m}"}
        click.echo(json.dumps(document))
        return
    table = Table("month", "rows", "size", "archived", "state")
    for m in months:
        state = f"restored, kept until {m['keep_until'][:10]}" if m["in_database"] else "archived"
        table.add_row(
            m["month"],
            f"{m['rows']:,}",
            f"{m['size_bytes'] / 1e6:.1f} MB",
            m["archived_at"][:16].replace("T", " "),
            state,
        )
    console.print(table)
    click.echo(
        f"{len(months)} months archived. Months before {cutoff:%Y-%m} are archived at 03:00"
        + (f"; due now: {', '.join(waiting)}." if waiting else "; none is due now.")
    )


@command.command("restore")
@click.argument("month")
@click.option(
    "--keep-days",
    default=DEFAULT_KEEP_DAYS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Days the month stays before the nightly archive may take it again.",
)
@friendly_errors
def restore(month: str, keep_days: int) -> None:
    """Bring MONTH (YYYY-MM) back into metric_observations from its verified archive."""
    try:
        first_day = parse_month(month)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="MONTH") from error
    try:
        rows = restore_month(_warehouse(), report_store_from_env(), first_day, keep_days)
    except ArchiveError as error:
        raise click.ClickException(f"{error}. Nothing was changed.") from error
    click.echo(
        f"Restored {rows:,} rows of {first_day:%Y-%m} into metric_observations; kept for "
        f"{keep_days} days, then archived again by the nightly maintenance."
    )
