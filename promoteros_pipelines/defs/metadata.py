"""Asset metadata an analyst reads at a glance in the Dagster UI.

Tables are ``MetadataValue.table``: the UI draws those inline on the asset page, where markdown
longer than 1,000 characters hides behind a "[Show Markdown]" button. Values are formatted for
people: counts with thousands separators, shares as percentages with one decimal, other
numbers to two decimals, times to the minute, and artist names beside artist ids.
"""

import datetime as dt
import re
from typing import Any

import polars as pl
from dagster import (
    MetadataValue,
    TableColumn,
    TableColumnConstraints,
    TableRecord,
    TableSchema,
)
from psycopg import sql

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

PERCENT_COLUMNS = re.compile(r"(^growth|_growth|growth_|rate$|_rate_|probability|share)")
"""Columns holding a fraction (0.123 = 12.3 %) unless a call says otherwise."""


def _cell(value: object, percent: bool, identifier: bool = False) -> str:
    if value is None:
        return ""
    if identifier:  # ids are names, not quantities: no thousands separators
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if percent:
            return f"{value * 100:+.1f} %" if value < 0 else f"{value * 100:.1f} %"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    if isinstance(value, dt.datetime):
        zone = " UTC" if value.tzinfo is not None else ""
        return f"{value.astimezone(dt.UTC) if zone else value:%Y-%m-%d %H:%M}{zone}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_cell(item, percent) for item in value)
    return str(value).replace("\n", " ")


def preview_table(
    frame: pl.DataFrame, limit: int = 10, percent: list[str] | None = None
) -> MetadataValue:
    """The first ``limit`` rows as a table the UI shows inline, formatted for people.

    ``percent`` names the fraction columns shown as percentages; by default those whose name
    says growth, rate, share or probability.
    """
    shown = frame.head(limit)
    as_percent = (
        set(percent)
        if percent is not None
        else {c for c in shown.columns if PERCENT_COLUMNS.search(c)}
    )
    records = [
        TableRecord(
            {
                name: _cell(row[name], name in as_percent, name.endswith("_id"))
                for name in shown.columns
            }
        )
        for row in shown.iter_rows(named=True)
    ]
    schema = TableSchema(columns=[TableColumn(name, "string") for name in shown.columns])
    return MetadataValue.table(records, schema=schema)


markdown_table = preview_table
"""The former name (tables used to be markdown, which the UI hid behind a button)."""


def with_artist_names(warehouse: PostgresWarehouse, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with each artist's name in an ``artist`` column right after ``artist_id``."""
    if frame.is_empty() or "artist_id" not in frame.columns:
        return frame
    names = warehouse.read_frame(
        f"SELECT artist_id, name AS artist FROM {warehouse.qualified('artists')}"
        " WHERE artist_id = ANY($1)",
        [frame["artist_id"].unique().to_list()],
    )
    if names.is_empty():
        names = pl.DataFrame(schema={"artist_id": pl.Int64, "artist": pl.String})
    named = frame.join(
        names.cast({"artist_id": frame.schema["artist_id"]}),
        on="artist_id",
        how="left",
        maintain_order="left",
    )
    columns = list(frame.columns)
    columns.insert(columns.index("artist_id") + 1, "artist")
    return named.select(columns)


FILES_INTO = "promoteros/files_into"
"""Metadata key of an asset that also writes a table another asset owns (e.g. ``alerts``):
``definitions.py`` draws it as that table's upstream, so the graph shows who feeds it."""

TABLE_COLUMNS = """
SELECT column_name, data_type, is_nullable = 'NO' AS required
FROM information_schema.columns
WHERE table_schema = 'promoteros' AND table_name = %s
ORDER BY ordinal_position
"""
# summed over partitions: a partitioned table's own reltuples is not its row count
ESTIMATED_ROWS = """
SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
FROM pg_partition_tree(to_regclass('promoteros.' || quote_ident(%s))) t
JOIN pg_class c ON c.oid = t.relid
"""


def table(name: str) -> dict[str, Any]:
    """Definition metadata of an asset that is the warehouse table ``name``."""
    return {"dagster/table_name": f"promoteros.{name}"}


def table_facts(warehouse: PostgresWarehouse, name: str, *, exact: bool = True) -> dict[str, Any]:
    """What the catalog shows for a table after a write: its columns, read from the database
    itself (so they cannot drift from the migrations), and its row count. ``exact=False``
    reads PostgreSQL's estimate instead of counting, for tables of many millions of rows."""
    with warehouse.connect() as conn:
        columns = conn.execute(TABLE_COLUMNS, (name,)).fetchall()
        if exact:
            count_sql = sql.SQL("SELECT count(*) FROM promoteros.{}").format(sql.Identifier(name))
            row = conn.execute(count_sql).fetchone()
        else:
            row = conn.execute(ESTIMATED_ROWS, (name,)).fetchone()
    schema = TableSchema(
        columns=[
            TableColumn(column, kind, constraints=TableColumnConstraints(nullable=not required))
            for column, kind, required in columns
        ]
    )
    return {
        "dagster/table_name": f"promoteros.{name}",
        "dagster/column_schema": schema,
        "dagster/row_count": MetadataValue.int(int(row[0]) if row else 0),
    }
