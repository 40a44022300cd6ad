"""PostgresWarehouse: the project's one door to the ``promoteros`` schema.

Bulk paths are columnar: frames go in through ADBC's ingest (binary ``COPY``) and come out
as Arrow. Every statement is parameterised; table and column names are quoted by psycopg's
``sql.Identifier``, never pasted. Writes that must be idempotent use a table's natural key
(``upsert``) or replace a whole partition in one transaction (``replace_partition``).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import polars as pl
import psycopg
from dagster import ConfigurableResource
from psycopg import sql
from pydantic import Field

if TYPE_CHECKING:
    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow as pa

SCHEMA = "promoteros"


def _ident(*names: str) -> str:
    return sql.Identifier(*names).as_string(None)


def _columns(names: Sequence[str]) -> str:
    return ", ".join(_ident(name) for name in names)


def _to_polars(table: "pa.Table") -> pl.DataFrame:
    """Arrow to polars, turning PostgreSQL ``numeric`` (which ADBC hands over as opaque text)
    into exact decimals at the column's scale.

    PostgreSQL prints a ``numeric(p, s)`` value with exactly ``s`` fractional digits, so the
    widest fraction in the column is its declared scale.
    """
    # Arrow is only needed once a columnar read happens: importing it with the code location
    # would cost every run worker 0.1 s, including the runs that never read a frame.
    import pyarrow as pa

    numeric: dict[str, pl.Series] = {}
    for index, field in enumerate(table.schema):
        if isinstance(field.type, pa.OpaqueType) and field.type.type_name == "numeric":
            storage = pl.Series(
                field.name,
                pa.chunked_array([c.storage for c in table.column(index).chunks], pa.string()),
            )
            fraction = storage.str.split_exact(".", 1).struct.field("field_1").str.len_chars()
            numeric[field.name] = storage.str.to_decimal(scale=int(fraction.max() or 0))
            table = table.set_column(index, field.name, pa.nulls(table.num_rows, pa.string()))
    frame: pl.DataFrame = pl.from_arrow(table)  # type: ignore[assignment]
    return frame.with_columns(numeric.values()) if numeric else frame


class PostgresWarehouse(ConfigurableResource):
    """The PostgreSQL warehouse (schema ``promoteros``), the system of record."""

    database_url: str = Field(
        description="PostgreSQL URL of the warehouse (PROMOTEROS_DATABASE_URL).",
    )
    schema_name: str = Field(default=SCHEMA, description="Schema holding the project's tables.")

    def qualified(self, table: str) -> str:
        """The schema-qualified, quoted name of ``table``."""
        return _ident(self.schema_name, table)

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        """A psycopg connection in a transaction that commits on success, rolls back on error."""
        with psycopg.connect(self.database_url) as conn:
            yield conn

    @contextmanager
    def arrow_connection(self) -> Iterator["adbc.Connection"]:
        """An ADBC connection (not autocommit) for columnar reads and writes."""
        # loaded on first use: pyarrow's dataset module takes a second to import
        import adbc_driver_postgresql.dbapi as adbc

        conn = adbc.connect(self.database_url)
        try:
            yield conn
        finally:
            conn.close()

    def execute(self, statement: str | sql.Composable, params: Any = None) -> int:
        """Run one parameterised statement (psycopg ``%s`` placeholders); return rows affected."""
        with self.connect() as conn:
            return conn.execute(statement, params).rowcount

    def read_frame(self, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run a query through ADBC and return the result as a polars frame.

        Placeholders are PostgreSQL's own ``$1, $2, ...``.
        """
        with self.arrow_connection() as conn, conn.cursor() as cursor:
            cursor.execute(query, params)
            table = cursor.fetch_arrow_table()
        return _to_polars(table)

    def read_table(self, table: str, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """Every row of ``table`` (optionally only ``columns``)."""
        selected = _columns(columns) if columns else "*"
        return self.read_frame(f"SELECT {selected} FROM {self.qualified(table)}")

    def append(self, table: str, frame: pl.DataFrame) -> int:
        """Bulk-insert ``frame`` into ``table`` with binary COPY; return rows written."""
        if frame.is_empty():
            return 0
        with self.arrow_connection() as conn:
            written = self._ingest(conn, table, frame)
            conn.commit()
        return written

    def upsert(
        self,
        table: str,
        frame: pl.DataFrame,
        key: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> int:
        """Insert ``frame``, or update the rows whose natural ``key`` already exists.

        ``update`` names the columns to overwrite on conflict (default: every non-key column
        of the frame); an empty list means "keep the existing row". Running the same upsert
        twice leaves the table as once. Returns the number of rows inserted or changed.
        """
        if frame.is_empty():
            return 0
        with self.arrow_connection() as conn:
            changed = self._upsert_in(conn, table, frame, key, update)
            conn.commit()
        return changed

    def replace_partition(
        self,
        table: str,
        frame: pl.DataFrame,
        column: str,
        start: Any,
        end: Any | None = None,
    ) -> int:
        """Atomically replace the rows where ``column`` = ``start`` (or is in [start, end)).

        Delete and insert share one transaction: readers see the old partition or the new
        one, never a mix, and a failure part-way keeps the old partition.
        """
        condition = (
            f"{_ident(column)} = $1"
            if end is None
            else (f"{_ident(column)} >= $1 AND {_ident(column)} < $2")
        )
        params = [start] if end is None else [start, end]
        with self.arrow_connection() as conn:
            with conn.cursor() as cursor:
                cursor.execute(f"DELETE FROM {self.qualified(table)} WHERE {condition}", params)
            written = self._ingest(conn, table, frame) if not frame.is_empty() else 0
            conn.commit()
        return written

    def _ingest(self, conn: "adbc.Connection", table: str, frame: pl.DataFrame) -> int:
        with conn.cursor() as cursor:
            return cursor.adbc_ingest(
                table, frame.to_arrow(), mode="append", db_schema_name=self.schema_name
            )

    def _upsert_in(
        self,
        conn: "adbc.Connection",
        table: str,
        frame: pl.DataFrame,
        key: Sequence[str],
        update: Sequence[str] | None,
    ) -> int:
        columns = frame.columns
        missing = [name for name in key if name not in columns]
        if missing:
            raise ValueError(f"upsert into {table}: key columns {missing} are not in the frame")
        to_update = [c for c in columns if c not in key] if update is None else list(update)
        stage = f"stage_{table}"
        with conn.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {_ident(stage)} ON COMMIT DROP AS "
                f"SELECT {_columns(columns)} FROM {self.qualified(table)} WITH NO DATA"
            )
            cursor.adbc_ingest(stage, frame.to_arrow(), mode="append", temporary=True)
            if to_update:
                assignments = ", ".join(f"{_ident(c)} = EXCLUDED.{_ident(c)}" for c in to_update)
                distinct = " OR ".join(
                    f"{self.qualified(table)}.{_ident(c)} IS DISTINCT FROM EXCLUDED.{_ident(c)}"
                    for c in to_update
                )
                conflict = f"DO UPDATE SET {assignments} WHERE {distinct}"
            else:
                conflict = "DO NOTHING"
            cursor.execute(
                f"INSERT INTO {self.qualified(table)} ({_columns(columns)}) "
                f"SELECT {_columns(columns)} FROM {_ident(stage)} "
                f"ON CONFLICT ({_columns(key)}) {conflict}"
            )
            return cursor.rowcount
