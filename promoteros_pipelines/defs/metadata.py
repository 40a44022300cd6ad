"""Asset metadata an analyst reads at a glance in the Dagster UI."""

from typing import Any

import polars as pl
from dagster import MetadataValue, TableColumn, TableColumnConstraints, TableSchema
from psycopg import sql

from promoteros_pipelines.resources.warehouse import PostgresWarehouse


def markdown_table(frame: pl.DataFrame, limit: int = 10) -> MetadataValue:
    """The first ``limit`` rows as a markdown table (pipes in values escaped)."""
    shown = frame.head(limit)
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)

    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.iter_rows()]
    return MetadataValue.md("\n".join([header, rule, *body]))


FILES_INTO = "promoteros/files_into"
"""Metadata key of an asset that also writes a table another asset owns (e.g. ``alerts``):
``definitions.py`` draws it as that table's upstream, so the graph shows who feeds it."""

TABLE_COLUMNS = """
SELECT column_name, data_type, is_nullable = 'NO' AS required
FROM information_schema.columns
WHERE table_schema = 'promoteros' AND table_name = %s
ORDER BY ordinal_position
"""
ESTIMATED_ROWS = """
SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'promoteros' AND c.relname = %s
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
