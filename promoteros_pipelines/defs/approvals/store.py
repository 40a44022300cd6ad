"""The SQL of approval gates (``promoteros.approvals`` and its companions).

Every decision goes through ``decide``: it locks the approval's row, lets
``domain.approvals.judge`` decide, and writes the decision, the new status and the audit
entry in the same transaction, so two decisions arriving at once are judged one after the
other and a refused one changes nothing (the transaction is rolled back).
"""

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from promoteros_pipelines.domain.approvals import (
    OPEN,
    REMINDER_SHARE_LEFT,
    Approval,
    Decision,
    DecisionRefused,
    Person,
    judge,
    may_decide,
    policy_for,
    same_person,
    timeout_status,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

COLUMNS = (
    "id, kind, request_key, organisation, subject, requested_by, requested_at, expires_at,"
    " priority, status, required_approvals, confidence::float8 AS confidence, policy,"
    " decided_at, notified_at, reminded_at, released_at"
)


@dataclass(frozen=True)
class ApprovalRow:
    """An approval as people see it (``promoteros approvals list``, the asset's metadata)."""

    id: str
    kind: str
    request_key: str
    organisation: str | None
    subject: dict[str, Any]
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    priority: str
    status: str
    required_approvals: int
    confidence: float | None
    policy: str
    decided_at: datetime | None
    notified_at: datetime | None
    reminded_at: datetime | None
    released_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class Outcome:
    """An accepted decision: the approval's status afterwards and who decided."""

    approval_id: str
    status: str
    decided_by: str
    approvals_so_far: int
    required_approvals: int


def new_approval_id() -> str:
    """128 random bits, URL-safe: ids appear in links and must not be guessable."""
    return secrets.token_urlsafe(16)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _history(
    conn: psycopg.Connection,
    table: str,
    approval_id: str,
    action: str,
    status: str,
    actor: str,
    channel: str | None = None,
    detail: str | None = None,
    reference: str | None = None,
) -> None:
    conn.execute(
        f"INSERT INTO {table} (approval_id, action, status, actor, channel, detail, reference)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (approval_id, action, status, actor, channel, detail, reference),
    )


def request_approval(
    warehouse: PostgresWarehouse,
    *,
    kind: str,
    request_key: str,
    requested_by: str,
    subject: dict[str, Any],
    organisation: str | None = None,
    priority: str = "normal",
    confidence: float | None = None,
    now: datetime | None = None,
) -> tuple[str, bool]:
    """File a request (idempotent on ``(kind, request_key)``): ``(id, created)``."""
    policy = policy_for(kind)
    requested_at = _now(now)
    with warehouse.connect() as conn:
        row = conn.execute(
            f"INSERT INTO {warehouse.qualified('approvals')} (id, kind, request_key,"
            " organisation, subject, requested_by, requested_at, expires_at, priority,"
            " required_approvals, confidence, policy)"
            " VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (kind, request_key) DO NOTHING RETURNING id",
            (
                new_approval_id(),
                kind,
                request_key,
                organisation,
                json.dumps(subject, default=str),
                requested_by,
                requested_at,
                requested_at + policy.lifetime,
                priority,
                policy.required_approvals,
                confidence,
                policy.name,
            ),
        ).fetchone()
        if row is not None:
            _history(
                conn, warehouse.qualified("approval_history"), row[0], "requested", OPEN,
                requested_by,
            )  # fmt: skip
            return row[0], True
        existing = conn.execute(
            f"SELECT id FROM {warehouse.qualified('approvals')}"
            " WHERE kind = %s AND request_key = %s",
            (kind, request_key),
        ).fetchone()
    assert existing is not None
    return existing[0], False


def _people(
    conn: psycopg.Connection, warehouse: PostgresWarehouse, organisation: str | None
) -> list[Person]:
    """Recipients who might decide: of the organisation, or of every one when it is None."""
    rows = conn.execute(
        f"SELECT r.email, r.name, r.role, v.slug FROM {warehouse.qualified('recipients')} r"
        f" JOIN {warehouse.qualified('organisations')} o USING (organisation_id)"
        f" LEFT JOIN {warehouse.qualified('venues')} v ON v.venue_id = r.venue_id"
        " WHERE %(org)s::text IS NULL OR o.slug = %(org)s",
        {"org": organisation},
    ).fetchall()
    return [Person(email, name, role, venue) for email, name, role, venue in rows]


def _load(conn: psycopg.Connection, warehouse: PostgresWarehouse, approval_id: str) -> ApprovalRow:
    with conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            f"SELECT {COLUMNS} FROM {warehouse.qualified('approvals')} WHERE id = %s FOR UPDATE",
            (approval_id,),
        ).fetchone()
    if row is None:
        raise DecisionRefused(f"there is no approval {approval_id!r}; check the id")
    return ApprovalRow(**row)


def decide(
    warehouse: PostgresWarehouse,
    approval_id: str,
    who: str,
    decision: str,
    *,
    reason: str | None,
    channel: str,
    reference: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Apply one person's decision, or raise ``DecisionRefused`` having changed nothing.

    ``reference`` names the message that carried it (``webhook_event:42``); see
    ``applied_reference``."""
    at = _now(now)
    if decision == "rejected" and not (reason or "").strip():
        raise DecisionRefused("a rejection needs a reason, so the requester knows why")
    with warehouse.connect() as conn:
        row = _load(conn, warehouse, approval_id)
        decisions = conn.execute(
            f"SELECT decided_by, decision FROM {warehouse.qualified('approval_decisions')}"
            " WHERE approval_id = %s",
            (approval_id,),
        ).fetchall()
        approval = Approval(
            approval_id=row.id,
            kind=row.kind,
            status=row.status,
            requested_by=row.requested_by,
            expires_at=row.expires_at,
            required_approvals=row.required_approvals,
            venue=row.subject.get("venue"),
            decided_at=row.decided_at,
            decisions=[Decision(by, what) for by, what in decisions],
        )
        verdict = judge(approval, who, decision, _people(conn, warehouse, row.organisation), at)
        conn.execute(
            f"INSERT INTO {warehouse.qualified('approval_decisions')}"
            " (approval_id, decided_by, decision, reason, decided_at, channel)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (approval_id, verdict.decided_by, decision, reason, at, channel),
        )
        if verdict.status != OPEN:
            conn.execute(
                f"UPDATE {warehouse.qualified('approvals')} SET status = %s, decided_at = %s,"
                " updated_at = now() WHERE id = %s",
                (verdict.status, at, approval_id),
            )
        _history(
            conn, warehouse.qualified("approval_history"), approval_id, decision,
            verdict.status, verdict.decided_by, channel, reason, reference,
        )  # fmt: skip
    return Outcome(
        approval_id, verdict.status, verdict.decided_by, verdict.approvals_so_far,
        row.required_approvals,
    )  # fmt: skip


def applied_reference(warehouse: PostgresWarehouse, reference: str) -> dict[str, Any] | None:
    """The audit entry a message's decision wrote, if it was applied already."""
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            f"SELECT approval_id, action, status, actor FROM "
            f"{warehouse.qualified('approval_history')} WHERE reference = %s",
            (reference,),
        ).fetchone()


def mark_released(warehouse: PostgresWarehouse, approval_id: str, what: str) -> bool:
    """Record that the gated work was started (once); False if it already was."""
    with warehouse.connect() as conn:
        released = conn.execute(
            f"UPDATE {warehouse.qualified('approvals')} SET released_at = now(),"
            " updated_at = now() WHERE id = %s AND released_at IS NULL RETURNING status",
            (approval_id,),
        ).fetchone()
        if released is not None:
            _history(
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


def get_approval(warehouse: PostgresWarehouse, approval_id: str) -> ApprovalRow | None:
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            f"SELECT {COLUMNS} FROM {warehouse.qualified('approvals')} WHERE id = %s",
            (approval_id,),
        ).fetchone()
    return ApprovalRow(**row) if row else None


def list_approvals(
    warehouse: PostgresWarehouse,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> list[ApprovalRow]:
    """Pending first by priority then age; decided ones newest first."""
    query = (
        f"SELECT {COLUMNS} FROM {warehouse.qualified('approvals')}"
        " WHERE (%(status)s::text IS NULL OR status = %(status)s)"
        " AND (%(kind)s::text IS NULL OR kind = %(kind)s)"
        " ORDER BY status <> 'pending',"
        " array_position(ARRAY['urgent','high','normal','low'], priority),"
        " requested_at LIMIT %(limit)s"
    )
    params = {"status": status, "kind": kind, "limit": limit}
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return [ApprovalRow(**row) for row in cursor.execute(query, params).fetchall()]


def decisions_of(warehouse: PostgresWarehouse, approval_id: str) -> list[dict[str, Any]]:
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT decided_by, decision, reason, decided_at, channel"
            f" FROM {warehouse.qualified('approval_decisions')}"
            " WHERE approval_id = %s ORDER BY decided_at, decided_by",
            (approval_id,),
        ).fetchall()


def history_of(warehouse: PostgresWarehouse, approval_id: str) -> list[dict[str, Any]]:
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT at, action, status, actor, channel, detail"
            f" FROM {warehouse.qualified('approval_history')}"
            " WHERE approval_id = %s ORDER BY history_id",
            (approval_id,),
        ).fetchall()


def expire_due(warehouse: PostgresWarehouse, now: datetime | None = None) -> list[ApprovalRow]:
    """Close pending approvals past their expiry with their kind's timeout status
    (``expired``, i.e. rejected, by default). Returns the rows closed by this call."""
    at = _now(now)
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
            _history(
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
    at = _now(now)
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
            _history(
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
        people = _people(conn, warehouse, row.organisation)
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
