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
    Approval,
    Decision,
    DecisionRefused,
    Person,
    auto_approves,
    judge,
    policy_for,
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
    """128 random bits in hex: ids appear in links and Slack buttons and must not be
    guessable, and are typed on command lines, where a URL-safe id starting with ``-`` would
    read as an option."""
    return secrets.token_hex(16)


def now_or(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def record_history(
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
    inputs: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[str, bool]:
    """File a request (idempotent on ``(kind, request_key)``): ``(id, created)``.

    With a ``confidence`` at or above the kind's threshold it is ``auto_approved`` at once,
    while the organisation's daily cap lasts; the rule and ``inputs`` go into the audit trail.
    """
    policy = policy_for(kind)
    requested_at = now_or(now)
    history = warehouse.qualified("approval_history")
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
            record_history(conn, history, row[0], "requested", OPEN, requested_by)
            if policy.auto_threshold is not None and confidence is not None:
                _auto_approve(conn, warehouse, row[0], kind, organisation, confidence, inputs)
            return row[0], True
        existing = conn.execute(
            f"SELECT id FROM {warehouse.qualified('approvals')}"
            " WHERE kind = %s AND request_key = %s",
            (kind, request_key),
        ).fetchone()
    assert existing is not None
    return existing[0], False


def _auto_approve(
    conn: psycopg.Connection,
    warehouse: PostgresWarehouse,
    approval_id: str,
    kind: str,
    organisation: str | None,
    confidence: float,
    inputs: dict[str, Any] | None,
) -> bool:
    """Auto-approve within the organisation's daily cap (counted under a lock per
    organisation, so two requests at once cannot both take the last place)."""
    policy = policy_for(kind)
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"approvals:auto:{kind}:{organisation}",)
    )
    (today,) = conn.execute(
        f"SELECT count(*) FROM {warehouse.qualified('approvals')}"
        " WHERE kind = %s AND organisation IS NOT DISTINCT FROM %s AND status = 'auto_approved'"
        " AND decided_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
        (kind, organisation),
    ).fetchone() or (0,)
    history = warehouse.qualified("approval_history")
    evidence = json.dumps(inputs or {}, sort_keys=True, default=str)
    if not auto_approves(kind, confidence, int(today)):
        if confidence >= (policy.auto_threshold or 101):
            detail = f"daily cap of {policy.daily_cap} auto-approvals reached; inputs {evidence}"
            record_history(
                conn, history, approval_id, "auto_approval_capped", OPEN, "system", None, detail
            )
        return False
    conn.execute(
        f"UPDATE {warehouse.qualified('approvals')} SET status = 'auto_approved',"
        " decided_at = now(), updated_at = now() WHERE id = %s",
        (approval_id,),
    )
    detail = (
        f"rule {policy.name}: confidence {confidence:g} >= {policy.auto_threshold:g}; "
        f"{int(today) + 1} of {policy.daily_cap} today; inputs {evidence}"
    )
    record_history(
        conn, history, approval_id, "auto_approved", "auto_approved", "system", None, detail
    )
    return True


def people_of(
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
    at = now_or(now)
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
        verdict = judge(approval, who, decision, people_of(conn, warehouse, row.organisation), at)
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
        record_history(
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


def weekly_statistics(
    warehouse: PostgresWarehouse,
    start: datetime,
    end: datetime,
    organisation: str | None = None,
) -> dict[str, Any]:
    """Approvals decided in ``[start, end)`` (of one organisation, or all): how many, the
    median hours from request to decision, and the shares auto-approved and expired."""
    with warehouse.connect() as conn:
        row = conn.execute(
            "SELECT count(*),"
            " percentile_cont(0.5) WITHIN GROUP"
            "  (ORDER BY extract(epoch FROM decided_at - requested_at) / 3600),"
            " count(*) FILTER (WHERE status = 'auto_approved'),"
            " count(*) FILTER (WHERE status = 'expired')"
            f" FROM {warehouse.qualified('approvals')}"
            " WHERE decided_at >= %(start)s AND decided_at < %(end)s"
            " AND (%(org)s::text IS NULL OR organisation = %(org)s)",
            {"start": start, "end": end, "org": organisation},
        ).fetchone()
    count, median, auto, expired = row if row else (0, None, 0, 0)
    return {
        "count": int(count),
        "median_hours": round(float(median), 1) if median is not None else None,
        "auto_share": auto / count if count else 0.0,
        "expired_share": expired / count if count else 0.0,
    }
