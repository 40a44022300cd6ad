"""SQL of the operations area: the data-quality log, incidents, health rows and the reads the
validation rounds make. Other areas may call these functions (never the assets)."""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl
import psycopg
from psycopg.types.json import Jsonb

from promoteros_pipelines.domain.maintenance import Step
from promoteros_pipelines.domain.quality import Finding
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

LOG_FINDING = """
INSERT INTO promoteros.data_quality_log
    (checked_at, asset, "check", severity, passed, details, auto_fixed, before, after)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (checked_at, asset, "check") DO UPDATE SET
    severity = EXCLUDED.severity, passed = EXCLUDED.passed, details = EXCLUDED.details,
    auto_fixed = EXCLUDED.auto_fixed, before = EXCLUDED.before, after = EXCLUDED.after
"""


def _json(value: Mapping[str, Any] | None) -> Jsonb | None:
    return None if value is None else Jsonb(dict(value))


def log_findings(
    warehouse: PostgresWarehouse, checked_at: dt.datetime, findings: Iterable[Finding]
) -> int:
    """Write ``findings`` as one round at ``checked_at`` (re-writing a round replaces it)."""
    rows = [
        (
            checked_at,
            f.asset,
            f.check,
            f.severity,
            f.passed,
            Jsonb(dict(f.details)),
            f.auto_fixed,
            _json(f.before),
            _json(f.after),
        )
        for f in findings
    ]
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.executemany(LOG_FINDING, rows)
    return len(rows)


LATEST_FINDINGS = """
SELECT DISTINCT ON (asset, "check") checked_at, asset, "check", severity, passed, details,
       auto_fixed
FROM promoteros.data_quality_log
ORDER BY asset, "check", checked_at DESC
"""


def latest_findings(warehouse: PostgresWarehouse) -> list[dict[str, Any]]:
    """The newest logged outcome of every (asset, check)."""
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.execute(LATEST_FINDINGS)
        names = [c.name for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def count_failing(
    warehouse: PostgresWarehouse, table: str, rules: Mapping[str, str], where: str = ""
) -> dict[str, int]:
    """Rows of ``table`` breaking each rule (a SQL condition written in this area's code, never
    user input; NULL passes), counted in one scan."""
    if not rules:
        return {}
    columns = ", ".join(
        f"count(*) FILTER (WHERE NOT coalesce(({rule}), true)) AS {name}"
        for name, rule in rules.items()
    )
    query = f"SELECT {columns} FROM {warehouse.qualified(table)} {where}"
    with warehouse.connect() as conn:
        row = conn.execute(query).fetchone() or (0,) * len(rules)
    return {name: int(n) for name, n in zip(rules, row, strict=True)}


def rows_per_day(
    warehouse: PostgresWarehouse, table: str, column: str, first: dt.date, last: dt.date
) -> dict[dt.date, int]:
    """Rows per UTC day of ``column`` (a date or timestamptz) in [first, last]."""
    is_timestamp = column != "day"
    day = f"({column} AT TIME ZONE 'UTC')::date" if is_timestamp else column
    since: Any = dt.datetime.combine(first, dt.time(), dt.UTC) if is_timestamp else first
    until: Any = (
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
        if is_timestamp
        else last + dt.timedelta(days=1)
    )
    query = (
        f"SELECT {day} AS day, count(*) AS n FROM {warehouse.qualified(table)}"
        f" WHERE {column} >= %s AND {column} < %s GROUP BY 1"
    )
    with warehouse.connect() as conn:
        return {d: int(n) for d, n in conn.execute(query, (since, until)).fetchall()}


def read_observation_window(
    warehouse: PostgresWarehouse, since: dt.datetime, until: dt.datetime
) -> pl.DataFrame:
    """Observations (every metric) observed in [since, until)."""
    return warehouse.read_frame(
        "SELECT artist_id, platform, metric, observed_at, value"
        " FROM promoteros.metric_observations WHERE observed_at >= $1 AND observed_at < $2",
        [since, until],
    )


OBSERVATION_KEY = ["artist_id", "platform", "metric", "observed_at"]


def delete_observations(warehouse: PostgresWarehouse, rows: pl.DataFrame) -> int:
    """Delete exactly the observations keyed by ``rows`` (and no other)."""
    if rows.is_empty():
        return 0
    with warehouse.connect() as conn:
        return conn.execute(
            """
            DELETE FROM promoteros.metric_observations o
            USING unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[])
                AS k(artist_id, platform, metric, observed_at)
            WHERE (o.artist_id, o.platform, o.metric, o.observed_at)
                = (k.artist_id, k.platform, k.metric, k.observed_at)
            """,
            [rows[c].to_list() for c in OBSERVATION_KEY],
        ).rowcount


def recorded_glitches(warehouse: PostgresWarehouse, since: dt.datetime) -> pl.DataFrame:
    return warehouse.read_frame(
        "SELECT artist_id, platform, metric, observed_at FROM promoteros.observation_glitches"
        " WHERE observed_at >= $1",
        [since],
    )


def orphan_observations(warehouse: PostgresWarehouse, since: dt.datetime) -> pl.DataFrame:
    """(artist_id, platform) pairs observed since ``since`` with no platform id on record."""
    return warehouse.read_frame(
        """
        SELECT o.artist_id, o.platform, count(*) AS rows
        FROM promoteros.metric_observations o
        WHERE o.observed_at >= $1 AND NOT EXISTS (
            SELECT 1 FROM promoteros.artist_platform_ids p
            WHERE p.artist_id = o.artist_id AND p.platform = o.platform)
        GROUP BY 1, 2 ORDER BY 3 DESC
        """,
        [since],
    )


def read_identity(warehouse: PostgresWarehouse) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(artists, artist_platform_ids) as the reconciliation needs them."""
    artists = warehouse.read_frame("SELECT artist_id, normalized_name FROM promoteros.artists")
    ids = warehouse.read_frame(
        "SELECT artist_id, platform, external_id FROM promoteros.artist_platform_ids"
    )
    return artists, ids


def open_incident(
    warehouse: PostgresWarehouse,
    key: str,
    at: dt.datetime,
    severity: str,
    subject: str,
    details: Mapping[str, Any],
) -> dt.datetime | None:
    """Open the incident ``key`` unless one is open; its opening time when this call opened
    it, else None (already open: no second alert)."""
    with warehouse.connect() as conn:
        row = conn.execute(
            """
            INSERT INTO promoteros.ops_incidents
                (incident_key, opened_at, severity, subject, details)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (incident_key) WHERE closed_at IS NULL DO NOTHING
            RETURNING opened_at
            """,
            (key, at, severity, subject, Jsonb(dict(details))),
        ).fetchone()
    return row[0] if row else None


def close_incident(warehouse: PostgresWarehouse, key: str, at: dt.datetime) -> dt.datetime | None:
    """Close the open incident ``key``; its opening time, or None when none was open."""
    with warehouse.connect() as conn:
        row = conn.execute(
            "UPDATE promoteros.ops_incidents SET closed_at = %s"
            " WHERE incident_key = %s AND closed_at IS NULL RETURNING opened_at",
            (at, key),
        ).fetchone()
    return row[0] if row else None


def open_incidents(warehouse: PostgresWarehouse, prefix: str = "") -> list[dict[str, Any]]:
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT incident_key, opened_at, severity, subject FROM promoteros.ops_incidents"
            " WHERE closed_at IS NULL AND incident_key LIKE %s ORDER BY opened_at",
            (prefix + "%",),
        )
        names = [c.name for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def keys_of(frame: pl.DataFrame, columns: Sequence[str]) -> set[tuple[Any, ...]]:
    return set(frame.select(columns).iter_rows()) if frame.height else set()


RETENTION: dict[str, str] = {
    "webhook_events": "status IN ('done', 'dead') AND updated_at < %(cutoff)s",
    "outbox_deliveries": "status IN ('delivered', 'dead') AND created_at < %(cutoff)s",
    "notification_log": "status IN ('sent', 'dead') AND updated_at < %(cutoff)s",
    "custom_reports": "status IN ('expired', 'rejected') AND updated_at < %(cutoff)s",
    "system_health": "checked_at < %(cutoff)s",
    "data_quality_log": "checked_at < %(cutoff)s",
    "pipeline_kpis": "computed_at < %(cutoff)s",
    "ops_incidents": "closed_at < %(cutoff)s",
}
"""Rows each retention step deletes: settled rows only (done, delivered, sent, dead, expired),
never one still pending or being retried."""


def prune(warehouse: PostgresWarehouse, table: str, cutoff: dt.datetime) -> int:
    """Delete ``table``'s settled rows older than ``cutoff``; rows deleted."""
    query = f"DELETE FROM {warehouse.qualified(table)} WHERE {RETENTION[table]}"
    with warehouse.connect() as conn:
        return conn.execute(query, {"cutoff": cutoff}).rowcount


BUSY_TABLES = (
    "metric_observations",
    "webhook_events",
    "pending_observations",
    "notification_log",
    "outbox_deliveries",
    "alerts",
    "daily_artist_metrics",
    "viral_signals",
    "data_quality_log",
    "system_health",
)


def vacuum_analyze(warehouse: PostgresWarehouse, tables: Sequence[str] = BUSY_TABLES) -> None:
    """``VACUUM (ANALYZE)`` each table (outside a transaction, as PostgreSQL requires)."""
    with psycopg.connect(warehouse.database_url, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM (ANALYZE) {warehouse.qualified(table)}")


# a partitioned table counts its partitions (pg_partition_tree lists a plain table alone)
SIZES = """
SELECT c.relname AS table_name, sum(pg_total_relation_size(t.relid))::bigint AS total_bytes,
       sum(pg_relation_size(t.relid))::bigint AS table_bytes,
       sum(pg_indexes_size(t.relid))::bigint AS index_bytes,
       sum(greatest(p.reltuples, 0))::bigint AS estimated_rows,
       count(*) FILTER (WHERE t.isleaf AND t.relid <> c.oid)::bigint AS partitions
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_partition_tree(c.oid) t
JOIN pg_class p ON p.oid = t.relid
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
GROUP BY c.relname
ORDER BY 2 DESC
"""


def table_sizes(warehouse: PostgresWarehouse) -> pl.DataFrame:
    return warehouse.read_frame(SIZES, [warehouse.schema_name])


RECORD_MAINTENANCE = """
INSERT INTO promoteros.maintenance_runs (run_id, started_at, finished_at, steps, failed_steps)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (run_id) DO UPDATE SET started_at = EXCLUDED.started_at,
    finished_at = EXCLUDED.finished_at, steps = EXCLUDED.steps,
    failed_steps = EXCLUDED.failed_steps
"""


def record_maintenance(
    warehouse: PostgresWarehouse,
    run_id: str,
    started: dt.datetime,
    finished: dt.datetime,
    steps: Sequence[Step],
) -> None:
    warehouse.execute(
        RECORD_MAINTENANCE,
        (
            run_id,
            started,
            finished,
            Jsonb([s.as_json() for s in steps]),
            [s.name for s in steps if s.failed],
        ),
    )


def high_water_mark(warehouse: PostgresWarehouse, mirror: str) -> dt.datetime | None:
    with warehouse.connect() as conn:
        row = conn.execute(
            "SELECT high_water_mark FROM promoteros.mirror_high_water_marks WHERE mirror = %s",
            (mirror,),
        ).fetchone()
    return row[0] if row else None


def save_high_water_mark(
    warehouse: PostgresWarehouse, mirror: str, mark: dt.datetime, rows: int
) -> None:
    warehouse.execute(
        "INSERT INTO promoteros.mirror_high_water_marks"
        " (mirror, high_water_mark, last_key, rows_mirrored, updated_at)"
        " VALUES (%s, %s, NULL, %s, now()) ON CONFLICT (mirror) DO UPDATE SET"
        " high_water_mark = EXCLUDED.high_water_mark, updated_at = now(),"
        " rows_mirrored = promoteros.mirror_high_water_marks.rows_mirrored"
        " + EXCLUDED.rows_mirrored",
        (mirror, mark, rows),
    )
