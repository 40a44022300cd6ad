"""SQL of the monthly partitions of ``metric_observations`` and of their archive records.

Partitions are named by ``domain.archive.partition_name`` (``metric_observations_pYYYY_MM``),
never from user input; they are quoted as identifiers all the same.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from promoteros_pipelines.domain.archive import (
    add_months,
    month_of_partition,
    partition_name,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

PARENT = "metric_observations"
DEFAULT_PARTITION = "metric_observations_default"
LOCK_TIMEOUT = "60s"
UTC = dt.UTC

PARTITIONS = """
SELECT c.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = to_regclass('promoteros.metric_observations')
"""
DEFAULT_MONTHS = """
SELECT DISTINCT date_trunc('month', observed_at AT TIME ZONE 'UTC')::date
FROM promoteros.metric_observations_default ORDER BY 1
"""


def _name(table: str) -> sql.Identifier:
    return sql.Identifier("promoteros", table)


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(month, dt.time(), UTC)
    return start, dt.datetime.combine(add_months(month, 1), dt.time(), UTC)


def partition_months(warehouse: PostgresWarehouse) -> list[dt.date]:
    """The months that have a partition of their own, oldest first."""
    with warehouse.connect() as conn:
        names = [row[0] for row in conn.execute(PARTITIONS).fetchall()]
    return sorted(m for m in map(month_of_partition, names) if m is not None)


def months_in_default(warehouse: PostgresWarehouse) -> list[dt.date]:
    with warehouse.connect() as conn:
        return [row[0] for row in conn.execute(DEFAULT_MONTHS).fetchall()]


def attach_month(conn: psycopg.Connection, month: dt.date) -> int:
    """Give ``month`` its own partition inside the caller's transaction, moving in the rows the
    default partition held for it; the rows moved. Creating a partition next to a default one
    that holds rows of its range would fail, so those rows go first."""
    table, (start, end) = partition_name(month), bounds(month)
    conn.execute(
        sql.SQL(
            "CREATE TABLE {} (LIKE promoteros.metric_observations"
            " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        ).format(_name(table))
    )
    moved = conn.execute(
        sql.SQL(
            "WITH moved AS (DELETE FROM promoteros.metric_observations_default"
            " WHERE observed_at >= %s AND observed_at < %s RETURNING *)"
            " INSERT INTO {} SELECT * FROM moved"
        ).format(_name(table)),
        (start, end),
    ).rowcount
    conn.execute(  # DDL takes no parameters: the bounds are literals made from dates
        sql.SQL(
            "ALTER TABLE promoteros.metric_observations ATTACH PARTITION {}"
            " FOR VALUES FROM ({}) TO ({})"
        ).format(_name(table), sql.Literal(start.isoformat()), sql.Literal(end.isoformat()))
    )
    return moved


def ensure_months(warehouse: PostgresWarehouse, today: dt.date, ahead: int = 3) -> dict[str, int]:
    """Partitions for this month and ``ahead`` months after it, and for every month the
    default partition holds rows of (moved into their own month): so inserts never fail and
    old rows reach a partition that can be archived. Returns what it did."""
    have = set(partition_months(warehouse))
    wanted = {add_months(today.replace(day=1), n) for n in range(ahead + 1)}
    wanted |= set(months_in_default(warehouse))
    created = moved = 0
    for month in sorted(wanted - have):
        with warehouse.connect() as conn:
            conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            moved += attach_month(conn, month)
        created += 1
    return {"partitions_created": created, "rows_moved_from_default": moved}


@contextmanager
def frozen_month(warehouse: PostgresWarehouse, month: dt.date) -> Iterator[psycopg.Connection]:
    """A transaction holding a SHARE lock on the month's partition: readers go on, writers
    wait, so the rows exported are the rows later dropped. Nothing is dropped unless the caller
    calls ``drop_month`` inside it and the block ends without an error."""
    with warehouse.connect() as conn:
        conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        conn.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(_name(partition_name(month))))
        yield conn


def count_month(conn: psycopg.Connection, month: dt.date) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(_name(partition_name(month)))
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def read_month_query(month: dt.date) -> str:
    """The export's query (for ADBC, which streams it as Arrow batches)."""
    table = ".".join(f'"{part}"' for part in ("promoteros", partition_name(month)))
    return (
        f"SELECT artist_id, platform, metric, observed_at, value, source, ingested_at FROM {table}"
    )


RECORD = """
INSERT INTO promoteros.observation_archives
    (month, object_key, location, rows, content_checksum, sha256, size_bytes, archived_at,
     dropped_at, restored_at, keep_until)
VALUES (%(month)s, %(object_key)s, %(location)s, %(rows)s, %(content_checksum)s, %(sha256)s,
        %(size_bytes)s, now(), now(), NULL, NULL)
ON CONFLICT (month) DO UPDATE SET
    object_key = EXCLUDED.object_key, location = EXCLUDED.location, rows = EXCLUDED.rows,
    content_checksum = EXCLUDED.content_checksum, sha256 = EXCLUDED.sha256,
    size_bytes = EXCLUDED.size_bytes, archived_at = now(), dropped_at = now(),
    restored_at = NULL, keep_until = NULL
"""


def drop_month(conn: psycopg.Connection, month: dt.date, record: dict[str, Any]) -> None:
    """Detach and drop the month's partition and record its archive, in the caller's
    transaction (commits with it, or not at all)."""
    table = _name(partition_name(month))
    conn.execute(
        sql.SQL("ALTER TABLE promoteros.metric_observations DETACH PARTITION {}").format(table)
    )
    conn.execute(sql.SQL("DROP TABLE {}").format(table))
    conn.execute(RECORD, {**record, "month": month})


def archive_records(warehouse: PostgresWarehouse) -> list[dict[str, Any]]:
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT * FROM promoteros.observation_archives ORDER BY month")
        names = [c.name for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def kept_months(warehouse: PostgresWarehouse, now: dt.datetime) -> set[dt.date]:
    """Restored months still inside the hold their restore asked for."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            "SELECT month FROM promoteros.observation_archives WHERE keep_until > %s", (now,)
        ).fetchall()
    return {row[0] for row in rows}


def mark_restored(cursor: Any, month: dt.date, keep_until: dt.datetime) -> None:
    """(ADBC cursor) the month is back in the database until ``keep_until``."""
    cursor.execute(
        "UPDATE promoteros.observation_archives SET restored_at = now(), keep_until = $1"
        " WHERE month = $2",
        [keep_until, month],
    )


def restore_into(cursor: Any, month: dt.date, batches: Any) -> int:
    """(ADBC cursor, one transaction) rebuild the month's partition from Arrow ``batches``:
    a new table like the parent, the archived rows copied in, any rows the default partition
    took for that month since (newer, so they win), then attached. Rows copied in."""
    table = partition_name(month)
    start, end = bounds(month)
    cursor.execute(
        f'CREATE TABLE promoteros."{table}" (LIKE promoteros.metric_observations'
        " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)"
    )
    written = cursor.adbc_ingest(table, batches, mode="append", db_schema_name="promoteros")
    cursor.execute(
        "WITH moved AS (DELETE FROM promoteros.metric_observations_default"
        " WHERE observed_at >= $1 AND observed_at < $2 RETURNING *)"
        f' INSERT INTO promoteros."{table}" SELECT * FROM moved'
        " ON CONFLICT (artist_id, platform, metric, observed_at) DO UPDATE SET"
        " value = EXCLUDED.value, source = EXCLUDED.source, ingested_at = EXCLUDED.ingested_at",
        [start, end],
    )
    cursor.execute(
        f'ALTER TABLE promoteros.metric_observations ATTACH PARTITION promoteros."{table}"'
        f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    )
    return int(written)


def merge_into(cursor: Any, month: dt.date, batches: Any) -> int:
    """(ADBC cursor, one transaction) add archived rows the month's partition lacks (rows that
    arrived after the archive keep their newer values); rows added."""
    cursor.execute(
        "CREATE TEMP TABLE archived_rows ON COMMIT DROP AS"
        " SELECT * FROM promoteros.metric_observations WITH NO DATA"
    )
    cursor.adbc_ingest("archived_rows", batches, mode="append", temporary=True)
    cursor.execute(
        f'INSERT INTO promoteros."{partition_name(month)}" SELECT * FROM archived_rows'
        " ON CONFLICT (artist_id, platform, metric, observed_at) DO NOTHING"
    )
    return int(cursor.rowcount)


def dropped_unrestored(warehouse: PostgresWarehouse, month: dt.date) -> bool:
    """True when the month's archive holds rows its partition does not: it was dropped and
    not restored since (a partition for it now exists only because rows arrived late)."""
    with warehouse.connect() as conn:
        row = conn.execute(
            "SELECT dropped_at IS NOT NULL AND restored_at IS NULL"
            " FROM promoteros.observation_archives WHERE month = %s",
            (month,),
        ).fetchone()
    return bool(row and row[0])
