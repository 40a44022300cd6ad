"""Reads and status changes of the webhook inbox (``promoteros.webhook_events``).

One row per accepted webhook (natural key ``webhook_id``; ``event_id`` is its identity). Its
``status`` follows the Dagster run that handles it:

* ``pending``: stored by the ingress (or replayed by hand), not yet handed to a run;
* ``waiting``: no job handles its type yet (or its target does not exist yet); it is kept and
  runs once that job is deployed;
* ``running``: a run has been queued for it (``run_id``);
* ``done``: that run succeeded; ``failed``: it failed and Dagster run retries will try again;
* ``dead``: retries are exhausted or the payload can never run; ``error`` says why, and
  ``promoteros events replay ID`` puts it back to ``pending``.

A ``running`` or ``failed`` event whose run ended or vanished without its status following
is re-filed by the ``stranded_events`` sensor (``recovery.py``), or by a replay.

``attempts`` counts the runs that finished on the event (success or not) and refusals by a
sensor; a replay keeps it, which is how the sensors tell a replayed event from a new one
(``pending`` with ``attempts > 0``, see ``read_inbox``) and why a replay's run gets a
new run key.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

STATUSES = ("pending", "waiting", "running", "done", "failed", "dead")
REPLAYABLE = ("dead", "failed", "running")
EVENT_IDS_TAG = "promoteros/event_ids"
EVENT_TYPE_TAG = "promoteros/event_type"
TABLE = "webhook_events"


class InboxBusy(Exception):
    """The inbox could not be locked briefly to read its high-water mark; try next tick."""


class ReplayRefused(Exception):
    """The event is not in a state that may be replayed; the message says why and what to do."""


@dataclass(frozen=True)
class InboxEvent:
    """One stored webhook, as the sensors see it."""

    event_id: int
    event_type: str
    status: str
    attempts: int
    payload: dict[str, Any] | None = None  # None when the caller did not ask for it
    observations: int = 0  # scraper.metrics: number of observations in the payload

    @property
    def replayed(self) -> bool:
        """Pending again after runs already finished on it: a hand replay."""
        return self.status == "pending" and self.attempts > 0


def format_event_ids(ids: Iterable[int]) -> str:
    """Compact text for a set of ids, runs collapsed: ``[1, 2, 3, 7]`` -> ``"1-3,7"``."""
    ordered = sorted(set(ids))
    parts: list[str] = []
    start: int | None = None
    previous: int | None = None
    for event_id in [*ordered, None]:
        if start is not None and previous is not None and event_id != previous + 1:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if event_id is not None and start is None:
            start = event_id
        previous = event_id
    return ",".join(parts)


def parse_event_ids(text: str | None) -> list[int]:
    """The inverse of ``format_event_ids``; empty for a missing tag."""
    ids: list[int] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        first, _, last = part.partition("-")
        ids.extend(range(int(first), int(last or first) + 1))
    return ids


def _watermark(conn: psycopg.Connection, table: str, lock_timeout: str) -> int:
    try:
        conn.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
        conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
        row = conn.execute(f"SELECT coalesce(max(event_id), 0) FROM {table}").fetchone()
        conn.commit()  # releases the lock at once
    except psycopg.errors.LockNotAvailable as error:
        raise InboxBusy(f"webhook_events stayed locked for more than {lock_timeout}") from error
    return int(row[0]) if row else 0


def inbox_watermark(warehouse: PostgresWarehouse, lock_timeout: str = "2s") -> int:
    """The highest event id below which no insert can still appear.

    Event ids come from a sequence, but concurrent ingress transactions commit out of order:
    id 100 may become visible after 101. A cursor that jumped to 101 would skip 100 forever.
    A SHARE lock waits for in-flight inserts to finish (an INSERT holds its table lock from
    before it draws an id until it commits) and is released at once, so every id at or below
    the returned maximum is final. It blocks new inserts for well under a millisecond.
    """
    with warehouse.connect() as conn:
        return _watermark(conn, warehouse.qualified(TABLE), lock_timeout)


def _claimable(
    conn: psycopg.Connection,
    table: str,
    event_types: Sequence[str],
    after: int,
    upto: int,
    *,
    include_waiting: bool,
    with_payload: bool,
    limit: int,
) -> list[InboxEvent]:
    payload = "payload" if with_payload else "NULL::jsonb"
    observations = (
        "CASE WHEN jsonb_typeof(payload->'observations') = 'array'"
        " THEN jsonb_array_length(payload->'observations') ELSE 0 END"
    )
    # Each branch matches a partial index (pending, waiting), so a tick reads a few index
    # entries however many handled events the inbox holds.
    waiting = "OR (status = 'waiting' AND event_id <= %(upto)s)" if include_waiting else ""
    query = f"""
        SELECT event_id, event_type, status, attempts, {payload} AS payload,
               {observations} AS observations
        FROM {table}
        WHERE event_type = ANY(%(types)s)
          AND ((status = 'pending' AND event_id > %(after)s AND event_id <= %(upto)s)
               OR (status = 'pending' AND attempts > 0 AND event_id <= %(after)s)
               {waiting})
        ORDER BY event_id
        LIMIT %(limit)s
    """
    params = {"types": list(event_types), "after": after, "upto": upto, "limit": limit}
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query, params).fetchall()
    return [InboxEvent(**row) for row in rows]


def read_inbox(
    warehouse: PostgresWarehouse,
    event_types: Sequence[str],
    after: int,
    *,
    include_waiting: bool,
    with_payload: bool,
    limit: int,
    lock_timeout: str = "2s",
) -> tuple[int, list[InboxEvent]]:
    """One sensor tick's read, over one connection: the watermark ``upto``
    (``inbox_watermark``) and the events of ``event_types`` to hand to runs now, oldest first:

    * new: ``pending`` with ``after < event_id <= upto`` (``after`` is the sensor's cursor);
    * replayed: ``pending`` at or below the cursor with ``attempts > 0``; an event the sensor
      has requested but whose run is not queued yet has ``attempts = 0`` and is not re-read;
    * ``waiting`` ones, when the caller now has a job for them (``include_waiting``).

    Raises ``InboxBusy`` when the watermark's lock is not granted within ``lock_timeout``.
    """
    with warehouse.connect() as conn:
        table = warehouse.qualified(TABLE)
        upto = _watermark(conn, table, lock_timeout)
        events = _claimable(
            conn,
            table,
            event_types,
            after,
            upto,
            include_waiting=include_waiting,
            with_payload=with_payload,
            limit=limit,
        )
    return upto, events


def _update(warehouse: PostgresWarehouse, assignments: str, where: str, params: dict) -> int:
    statement = (
        f"UPDATE {warehouse.qualified(TABLE)} SET {assignments}, updated_at = now()"
        f" WHERE event_id = ANY(%(ids)s) AND {where}"
    )
    with warehouse.connect() as conn:
        return conn.execute(statement, params).rowcount


def mark_waiting(warehouse: PostgresWarehouse, event_ids: Sequence[int], reason: str) -> int:
    """Park events no job can handle yet; they are kept and picked up once one exists."""
    return _update(
        warehouse,
        "status = 'waiting', error = %(reason)s",
        "status IN ('pending', 'waiting')",
        {"ids": list(event_ids), "reason": reason},
    )


def release_waiting(warehouse: PostgresWarehouse, event_types: Sequence[str], reason: str) -> int:
    """Back to ``pending`` the ``waiting`` events of types a job now handles (attempts + 1, so
    a sensor whose cursor is past them reads them as replayed and runs them under new keys)."""
    statement = (
        f"UPDATE {warehouse.qualified(TABLE)} SET status = 'pending', error = %(reason)s,"
        " attempts = attempts + 1, updated_at = now()"
        " WHERE status = 'waiting' AND event_type = ANY(%(types)s)"
    )
    with warehouse.connect() as conn:
        return conn.execute(statement, {"types": list(event_types), "reason": reason}).rowcount


def mark_dead(warehouse: PostgresWarehouse, event_ids: Sequence[int], reason: str) -> int:
    """Events that can never run as they are (e.g. a payload the job refuses).

    The refusal counts as an attempt, so a replay of the event is told apart from a new one.
    """
    return _update(
        warehouse,
        "status = 'dead', error = %(reason)s, attempts = attempts + 1",
        "status IN ('pending', 'waiting')",
        {"ids": list(event_ids), "reason": reason},
    )


def mark_run_queued(warehouse: PostgresWarehouse, event_ids: Sequence[int], run_id: str) -> int:
    """A run (first try or a Dagster retry) now carries these events."""
    return _update(
        warehouse,
        "status = 'running', run_id = %(run_id)s, error = NULL",
        "(status IN ('pending', 'waiting')"
        " OR (status = 'failed' AND run_id IS DISTINCT FROM %(run_id)s))",
        {"ids": list(event_ids), "run_id": run_id},
    )


def mark_run_succeeded(warehouse: PostgresWarehouse, event_ids: Sequence[int], run_id: str) -> int:
    return _update(
        warehouse,
        "status = 'done', run_id = %(run_id)s, error = NULL, attempts = attempts + 1",
        "status <> 'done'",
        {"ids": list(event_ids), "run_id": run_id},
    )


def mark_run_failed(
    warehouse: PostgresWarehouse,
    event_ids: Sequence[int],
    run_id: str,
    error: str,
    *,
    dead: bool,
) -> int:
    """``failed`` while Dagster will retry the run, ``dead`` once it will not."""
    return _update(
        warehouse,
        "status = %(status)s, run_id = %(run_id)s, error = %(error)s, attempts = attempts + 1",
        "status NOT IN ('done', 'dead')",
        {
            "ids": list(event_ids),
            "run_id": run_id,
            "error": error,
            "status": "dead" if dead else "failed",
        },
    )


def refile_events(warehouse: PostgresWarehouse, event_ids: Sequence[int], reason: str) -> int:
    """Back to ``pending`` (attempts + 1, so the new run gets a new run key): the run that
    carried these events is gone or its retry never came."""
    return _update(
        warehouse,
        "status = 'pending', error = %(reason)s, attempts = attempts + 1",
        "status IN ('running', 'failed')",
        {"ids": list(event_ids), "reason": reason},
    )


def move_to_run(warehouse: PostgresWarehouse, event_ids: Sequence[int], run_id: str) -> int:
    """These events are carried by ``run_id`` now (a retry the status sensors did not file)."""
    return _update(
        warehouse,
        "status = 'running', run_id = %(run_id)s, error = NULL",
        "status IN ('running', 'failed') AND run_id IS DISTINCT FROM %(run_id)s",
        {"ids": list(event_ids), "run_id": run_id},
    )


def unsettled_events(
    warehouse: PostgresWarehouse, idle_seconds: float, limit: int
) -> list[tuple[int, str | None]]:
    """``(event_id, run_id)`` of events ``running`` or ``failed`` and untouched for
    ``idle_seconds``, oldest first (a partial index keeps this cheap)."""
    query = (
        f"SELECT event_id, run_id FROM {warehouse.qualified(TABLE)}"
        " WHERE status IN ('running', 'failed')"
        " AND updated_at < now() - make_interval(secs => %(idle)s)"
        " ORDER BY updated_at LIMIT %(limit)s"
    )
    with warehouse.connect() as conn:
        rows = conn.execute(query, {"idle": idle_seconds, "limit": limit}).fetchall()
    return [(int(event_id), run_id) for event_id, run_id in rows]


@dataclass(frozen=True)
class EventSummary:
    """A row of ``promoteros events list|show``."""

    event_id: int
    source: str
    event_type: str
    webhook_id: str
    received_at: datetime
    status: str
    attempts: int
    run_id: str | None
    error: str | None
    updated_at: datetime
    payload: Any = None


SUMMARY_COLUMNS = (
    "event_id, source, event_type, webhook_id, received_at, status, attempts, run_id, error,"
    " updated_at"
)


def list_events(
    warehouse: PostgresWarehouse,
    *,
    status: str | None = None,
    event_type: str | None = None,
    limit: int = 50,
) -> list[EventSummary]:
    """The newest events first, optionally of one status and/or type."""
    query = (
        f"SELECT {SUMMARY_COLUMNS} FROM {warehouse.qualified(TABLE)}"
        " WHERE (%(status)s::text IS NULL OR status = %(status)s)"
        " AND (%(type)s::text IS NULL OR event_type = %(type)s)"
        " ORDER BY event_id DESC LIMIT %(limit)s"
    )
    params = {"status": status, "type": event_type, "limit": limit}
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return [EventSummary(**row) for row in cursor.execute(query, params).fetchall()]


def get_event(warehouse: PostgresWarehouse, event_id: int) -> EventSummary | None:
    query = (
        f"SELECT {SUMMARY_COLUMNS}, payload FROM {warehouse.qualified(TABLE)} WHERE event_id = %s"
    )
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(query, (event_id,)).fetchone()
    return EventSummary(**row) if row else None


def replay_event(
    warehouse: PostgresWarehouse,
    event_id: int,
    *,
    force: bool = False,
    run_finished: Callable[[str | None], tuple[bool, str]] | None = None,
) -> int:
    """Put an event back to ``pending`` so its sensor starts a new run.

    * ``dead``: always;
    * ``failed``: only with ``force`` (Dagster still has a retry coming: it may run twice);
    * ``running``: when ``run_finished(run_id)`` says its run is finished, failed or gone
      (the status sensors lost track of it), or with ``force`` whatever the run does.

    ``attempts`` goes up by one for a ``running`` event (its run never finished on it) and is
    kept otherwise, so the next run always gets a new run key; its sensor picks it up below
    its cursor because ``attempts > 0``. The writers are idempotent, so a forced replay
    wastes work at worst; it never stores anything twice.
    """
    with warehouse.connect() as conn:
        row = conn.execute(
            f"SELECT status, attempts, run_id FROM {warehouse.qualified(TABLE)}"
            " WHERE event_id = %s FOR UPDATE",
            (event_id,),
        ).fetchone()
        if row is None:
            raise ReplayRefused(f"event {event_id} does not exist")
        status, attempts, run_id = row
        if status not in REPLAYABLE:
            raise ReplayRefused(
                f"event {event_id} is {status}: only dead, failed or stranded running events "
                "can be replayed"
            )
        if status == "failed" and not force:
            raise ReplayRefused(
                f"event {event_id} is failed: Dagster will retry its run; replay it once it "
                "is dead, or pass --force"
            )
        if status == "running" and not force:
            finished, why = run_finished(run_id) if run_finished else (False, "")
            if not finished:
                raise ReplayRefused(
                    f"event {event_id} is running: {why or 'its run may still be working'}; "
                    "replay it once that run has ended, or pass --force (it may then run "
                    "twice, which the writers absorb)"
                )
        if status == "running":
            attempts += 1
        conn.execute(
            f"UPDATE {warehouse.qualified(TABLE)} SET status = 'pending', error = NULL,"
            " attempts = %s, updated_at = now() WHERE event_id = %s",
            (attempts, event_id),
        )
    return attempts


def payload_text(payload: Any) -> str:
    """Pretty JSON for a stored payload (psycopg gives jsonb back as Python values)."""
    return json.dumps(payload, indent=2, sort_keys=True, default=str)
