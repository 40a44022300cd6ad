"""``promoteros.custom_reports``: one row per request event (natural key ``event_id``).

Status: ``building`` -> ``stored`` (file written, link not mailed yet) -> ``sent`` ->
``expired`` (file deleted by cleanup); or ``rejected`` with the reason. A re-run of the same
event reads its row and carries on from there, so it neither builds a second row nor mails
twice.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

LOCK_NAMESPACE = 724_008  # advisory-lock class: one producer per event at a time


@dataclass
class ReportRecord:
    report_id: int
    event_id: int
    organisation: str
    requested_by: str
    format: str
    status: str
    object_key: str | None
    sha256: str | None
    rows: int | None
    error: str | None
    expires_at: datetime | None


_COLUMNS = (
    "report_id, event_id, organisation, requested_by, format, status, object_key, sha256, "
    "rows, error, expires_at"
)


@contextmanager
def event_lock(warehouse: PostgresWarehouse, event_id: int) -> Iterator[None]:
    """Holds a session advisory lock on the event, so two runs of it never interleave."""
    with warehouse.connect() as conn:
        conn.autocommit = True
        conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, event_id))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, event_id))


def claim(
    warehouse: PostgresWarehouse,
    event_id: int,
    organisation: str,
    requested_by: str,
    fmt: str,
    parameters: dict[str, Any],
) -> ReportRecord:
    """The event's row, inserted as ``building`` if this is its first run."""
    with warehouse.connect() as conn:
        conn.execute(
            "INSERT INTO promoteros.custom_reports "
            "(event_id, organisation, requested_by, format, parameters) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING",
            (event_id, organisation, requested_by, fmt, Jsonb(parameters)),
        )
        with conn.cursor(row_factory=class_row(ReportRecord)) as cursor:
            cursor.execute(
                f"SELECT {_COLUMNS} FROM promoteros.custom_reports WHERE event_id = %s",
                (event_id,),
            )
            record = cursor.fetchone()
    assert record is not None
    return record


def _update(warehouse: PostgresWarehouse, event_id: int, assignments: str, params: dict) -> None:
    warehouse.execute(
        f"UPDATE promoteros.custom_reports SET {assignments}, updated_at = now() "
        "WHERE event_id = %(event_id)s",
        {**params, "event_id": event_id},
    )


def mark_rejected(warehouse: PostgresWarehouse, event_id: int, error: str) -> None:
    _update(warehouse, event_id, "status = 'rejected', error = %(error)s", {"error": error})


def mark_stored(
    warehouse: PostgresWarehouse,
    event_id: int,
    *,
    key: str,
    path: str,
    sha256: str,
    size_bytes: int,
    rows: int,
    expires_at: datetime,
) -> None:
    _update(
        warehouse,
        event_id,
        "status = 'stored', object_key = %(key)s, path = %(path)s, sha256 = %(sha256)s, "
        "size_bytes = %(size)s, rows = %(rows)s, expires_at = %(expires_at)s, "
        "stored_at = now(), error = NULL",
        {
            "key": key,
            "path": path,
            "sha256": sha256,
            "size": size_bytes,
            "rows": rows,
            "expires_at": expires_at,
        },
    )


def mark_sent(warehouse: PostgresWarehouse, event_id: int) -> None:
    _update(warehouse, event_id, "status = 'sent', sent_at = now()", {})


def expiring(warehouse: PostgresWarehouse, now: datetime) -> list[ReportRecord]:
    """Reports whose link has expired but whose file has not been deleted yet."""
    with (
        warehouse.connect() as conn,
        conn.cursor(row_factory=class_row(ReportRecord)) as cursor,
    ):
        cursor.execute(
            f"SELECT {_COLUMNS} FROM promoteros.custom_reports "
            "WHERE status IN ('stored', 'sent') AND expires_at <= %s ORDER BY expires_at",
            (now,),
        )
        return cursor.fetchall()


def mark_expired(warehouse: PostgresWarehouse, event_id: int) -> None:
    _update(warehouse, event_id, "status = 'expired', expired_at = now()", {})


def live_keys(warehouse: PostgresWarehouse) -> set[str]:
    """Object keys a live link (or a report being built) may still point at."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            "SELECT object_key FROM promoteros.custom_reports "
            "WHERE status IN ('building', 'stored', 'sent') AND object_key IS NOT NULL"
        ).fetchall()
    return {row[0] for row in rows}
