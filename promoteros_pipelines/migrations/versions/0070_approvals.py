"""Approval gates: ``approvals``, ``approval_decisions``, their audit trail and one-time links.

* ``approvals``: one row per gated request. ``id`` is opaque and unguessable (it appears in
  links and Slack buttons); natural key ``(kind, request_key)``, so filing the same request
  twice (a re-run, a replayed webhook) yields the same approval. ``organisation`` says whose
  recipients decide it; ``notified_at`` and ``reminded_at`` make the request mail and the
  one reminder go out once; ``released_at``
  makes the gated work start once.
* ``approval_decisions``: one row per person per approval (who, decision, reason, when,
  channel).
* ``approval_history``: every status change and decision, append-only (the audit trail);
  ``reference`` names what caused an entry (``webhook_event:42``), so a re-run of the run
  that applied a webhook's decision sees it applied instead of refusing it as a second one.
* ``approval_links``: the one-time decision links mailed to approvers; ``used_at`` is set by
  the ingress when the link is used, so it works once.

Revision ID: 0070_approvals
Revises: 0060_data_quality_log
"""

from alembic import op

revision = "0070_approvals"
down_revision = "0060_data_quality_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.approvals (
            id text PRIMARY KEY CHECK (length(id) >= 16),
            kind text NOT NULL,
            request_key text NOT NULL,
            organisation text,
            subject jsonb NOT NULL DEFAULT '{}'::jsonb,
            requested_by text NOT NULL,
            requested_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            priority text NOT NULL DEFAULT 'normal'
                CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'auto_approved')),
            required_approvals integer NOT NULL DEFAULT 1 CHECK (required_approvals >= 1),
            confidence numeric(5, 1) CHECK (confidence BETWEEN 0 AND 100),
            policy text NOT NULL,
            decided_at timestamptz,
            notified_at timestamptz,
            reminded_at timestamptz,
            released_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (kind, request_key),
            CHECK (expires_at > requested_at)
        )
        """
    )
    op.execute(
        "CREATE INDEX approvals_pending ON promoteros.approvals (expires_at)"
        " WHERE status = 'pending'"
    )
    op.execute(
        """
        CREATE TABLE promoteros.approval_decisions (
            approval_id text NOT NULL REFERENCES promoteros.approvals ON DELETE CASCADE,
            decided_by text NOT NULL,
            decision text NOT NULL CHECK (decision IN ('approved', 'rejected')),
            reason text,
            decided_at timestamptz NOT NULL DEFAULT now(),
            channel text NOT NULL,
            PRIMARY KEY (approval_id, decided_by)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.approval_history (
            history_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            approval_id text NOT NULL REFERENCES promoteros.approvals ON DELETE CASCADE,
            at timestamptz NOT NULL DEFAULT now(),
            action text NOT NULL,
            status text NOT NULL,
            actor text NOT NULL,
            channel text,
            detail text,
            reference text
        )
        """
    )
    op.execute(
        "CREATE INDEX approval_history_by_approval ON promoteros.approval_history (approval_id)"
    )
    op.execute(
        "CREATE UNIQUE INDEX approval_history_reference ON promoteros.approval_history"
        " (reference) WHERE reference IS NOT NULL"
    )
    op.execute(
        """
        CREATE TABLE promoteros.approval_links (
            link_id text PRIMARY KEY,
            approval_id text NOT NULL REFERENCES promoteros.approvals ON DELETE CASCADE,
            recipient text NOT NULL,
            expires_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            used_at timestamptz,
            UNIQUE (approval_id, recipient)
        )
        """
    )


def downgrade() -> None:
    for table in ("approval_links", "approval_history", "approval_decisions", "approvals"):
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
