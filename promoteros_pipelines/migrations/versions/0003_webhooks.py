"""Outbound deliveries: the outbox for n8n, Slack and UI broadcasts, with its dead letters.

Natural key: ``idempotency_key`` (also sent as the ``webhook-id`` header, so a receiver that
honours Standard Webhooks never acts twice on a retried delivery). ``next_attempt_at`` is
both the retry schedule and the claim: a deliverer pushes it forward before posting, so two
deliverers never post the same row at once.

Revision ID: 0003_webhooks
Revises: 0002_sources
"""

from alembic import op

revision = "0003_webhooks"
down_revision = "0002_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.outbox_deliveries (
            delivery_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            idempotency_key text NOT NULL UNIQUE
                CHECK (length(idempotency_key) BETWEEN 1 AND 256),
            target text NOT NULL,
            url text NOT NULL,
            event_type text NOT NULL,
            payload jsonb NOT NULL,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'delivered', 'dead')),
            attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            last_error text,
            last_status_code integer,
            created_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE INDEX outbox_deliveries_due_idx"
        " ON promoteros.outbox_deliveries (next_attempt_at) WHERE status = 'pending'"
    )
    op.execute(
        "CREATE INDEX outbox_deliveries_status_idx"
        " ON promoteros.outbox_deliveries (status, delivery_id)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS promoteros.outbox_deliveries")
