"""The SQL around decisions: timeouts, the request mails and the one reminder, one-time links,
and the release of gated work. ``store.py`` holds the approvals and decisions themselves.
"""

import secrets
from datetime import datetime

from psycopg.rows import dict_row

from promoteros_pipelines.defs.approvals.store import (
    COLUMNS,
    ApprovalRow,
    now_or,
    people_of,
    record_history,
)
from promoteros_pipelines.domain.approvals import (
    OPEN,
    REMINDER_SHARE_LEFT,
    Approval,
    Person,
    may_decide,
    policy_for,
    same_person,
    timeout_status,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


def mark_released(warehouse: PostgresWarehouse, approval_id: str, what: str) -> bool:
    """Record that the gated work was started (once); False if it already was."""
    with warehouse.connect() as conn:
        released = conn.execute(
            f"UPDATE {warehouse.qualified('approvals')} SET released_at = now(),"
            " updated_at = now() WHERE id = %s AND released_at IS NULL RETURNING status",
            (approval_id,),
        ).fetchone()
        if released is not None:
            record_history(
                conn, warehouse.qualified("approval_history"), approval_id, "released",
                released[0], "system", None, what,
            )  # fmt: skip
    return released is not None


def last_rejection(warehouse: PostgresWarehouse, approval_id: str) -> str:
    """``"<who>: <reason>"`` of the rejection that closed an approval."""
    with warehouse.connect() as conn:
        row = conn.execute(
            f"SELECT decided_by, reason FROM {warehouse.qualified('approval_decisions')}"
            " WHERE approval_id = %s AND decision = 'rejected' ORDER BY decided_at DESC LIMIT 1",
            (approval_id,),
        ).fetchone()
    return f"{row[0]}: {row[1]}" if row else "rejected"


def expire_due(warehouse: PostgresWarehouse, now: datetime | None = None) -> list[ApprovalRow]:
    """Close pending approvals past their expiry with their kind's timeout status
    (``expired``, i.e. rejected, by default). Returns the rows closed by this call."""
    at = now_or(now)
    closed: list[ApprovalRow] = []
    with warehouse.connect() as conn:
        with conn.cursor(row_factory=dict_row) as cursor:
            due = cursor.execute(
                f"SELECT {COLUMNS} FROM {warehouse.qualified('approvals')}"
                " WHERE status = 'pending' AND expires_at <= %s ORDER BY expires_at"
                " FOR UPDATE SKIP LOCKED",
                (at,),
            ).fetchall()
        for row in due:
            status = timeout_status(row["kind"])
            conn.execute(
                f"UPDATE {warehouse.qualified('approvals')} SET status = %s, decided_at = %s,"
                " updated_at = now() WHERE id = %s",
                (status, at, row["id"]),
            )
            record_history(
                conn, warehouse.qualified("approval_history"), row["id"], "timed_out", status,
                "system", None, f"nobody decided before {row['expires_at']:%Y-%m-%d %H:%M} UTC",
            )  # fmt: skip
            closed.append(ApprovalRow(**{**row, "status": status, "decided_at": at}))
    return closed


def claim_reminders(
    warehouse: PostgresWarehouse,
    now: datetime | None = None,
    share_left: float = REMINDER_SHARE_LEFT,
) -> list[ApprovalRow]:
    """Pending approvals with ``share_left`` of their lifetime or less left and no reminder
    yet; each is marked reminded in the same statement, so it is returned once, ever."""
    at = now_or(now)
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(
            f"UPDATE {warehouse.qualified('approvals')} SET reminded_at = %(at)s,"
            " updated_at = now()"
            " WHERE status = 'pending' AND reminded_at IS NULL AND expires_at > %(at)s"
            " AND expires_at - %(at)s <= (expires_at - requested_at) * %(share)s"
            f" RETURNING {COLUMNS}",
            {"at": at, "share": share_left},
        ).fetchall()
        for row in rows:
            record_history(
                conn, warehouse.qualified("approval_history"), row["id"], "reminded", OPEN,
                "system",
            )  # fmt: skip
    return [ApprovalRow(**row) for row in rows]


def claim_notices(warehouse: PostgresWarehouse, limit: int = 500) -> list[ApprovalRow]:
    """Pending approvals whose deciders have not been mailed yet, marked as mailed."""
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(
            f"UPDATE {warehouse.qualified('approvals')} SET notified_at = now()"
            f" WHERE id IN (SELECT id FROM {warehouse.qualified('approvals')}"
            "   WHERE status = 'pending' AND notified_at IS NULL ORDER BY requested_at"
            "   LIMIT %s FOR UPDATE SKIP LOCKED)"
            f" RETURNING {COLUMNS}",
            (limit,),
        ).fetchall()
    return [ApprovalRow(**row) for row in rows]


def unclaim(warehouse: PostgresWarehouse, approval_id: str, column: str) -> None:
    """A notice or reminder could not be sent: let the next pass try again."""
    assert column in ("notified_at", "reminded_at")
    with warehouse.connect() as conn:
        conn.execute(
            f"UPDATE {warehouse.qualified('approvals')} SET {column} = NULL WHERE id = %s",
            (approval_id,),
        )


def link_for(
    warehouse: PostgresWarehouse, row: ApprovalRow, recipient: str
) -> tuple[str, datetime]:
    """The one-time link id of ``recipient`` for ``row`` (made once, reused by the reminder
    while unused) and its expiry, the approval's."""
    with warehouse.connect() as conn:
        conn.execute(
            f"INSERT INTO {warehouse.qualified('approval_links')}"
            " (link_id, approval_id, recipient, expires_at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (approval_id, recipient) DO NOTHING",
            (secrets.token_urlsafe(16), row.id, recipient, row.expires_at),
        )
        found = conn.execute(
            f"SELECT link_id, expires_at FROM {warehouse.qualified('approval_links')}"
            " WHERE approval_id = %s AND recipient = %s",
            (row.id, recipient),
        ).fetchone()
    assert found is not None
    return found[0], found[1]


def deciders(warehouse: PostgresWarehouse, row: ApprovalRow) -> list[Person]:
    """The people who may decide ``row`` and have not yet (for reminders and the digest)."""
    approval = Approval(
        row.id, row.kind, row.status, row.requested_by, row.expires_at, row.required_approvals,
        row.subject.get("venue"),
    )  # fmt: skip
    with warehouse.connect() as conn:
        people = people_of(conn, warehouse, row.organisation)
        done = {
            by
            for (by,) in conn.execute(
                f"SELECT decided_by FROM {warehouse.qualified('approval_decisions')}"
                " WHERE approval_id = %s",
                (row.id,),
            ).fetchall()
        }
    policy = policy_for(row.kind)
    return [
        p
        for p in people
        if may_decide(p, approval, policy)
        and not same_person(p.email, row.requested_by)
        and not any(same_person(p.email, d) for d in done)
    ]


def deadline_work_due(warehouse: PostgresWarehouse, now: datetime | None = None) -> bool:
    """Whether ``approval_deadlines`` has anything to do: a pending approval past its expiry,
    not yet mailed, or due its reminder (the same conditions as the claims above)."""
    with warehouse.connect() as conn:
        row = conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM {warehouse.qualified('approvals')}"
            " WHERE status = 'pending' AND (expires_at <= %(at)s OR notified_at IS NULL"
            "  OR (reminded_at IS NULL"
            "   AND expires_at - %(at)s <= (expires_at - requested_at) * %(share)s)))",
            {"at": now_or(now), "share": REMINDER_SHARE_LEFT},
        ).fetchone()
    return bool(row and row[0])
