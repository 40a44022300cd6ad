"""The inbox's natural key becomes (``source``, ``webhook_id``): idempotency per source.

``webhook_id`` alone was unique across sources, so one source could claim another's ids in
advance (n8n's are predictable) and have the other's events dropped as "duplicates", and
the answer revealed the first source's event id. Each source now names its own messages.
The new unique index is built concurrently, so the ingress keeps accepting webhooks
meanwhile; the old constraint is dropped once it exists.

Downgrading restores the global key and fails if two sources have used the same id since.

Revision ID: 0010_inbox_key_per_source
Revises: 0009_inbox_waiting_index
"""

from alembic import op

revision = "0010_inbox_key_per_source"
down_revision = "0009_inbox_waiting_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS webhook_events_source_webhook_id_key"
            " ON promoteros.webhook_events (source, webhook_id)"
        )
    op.execute(
        "ALTER TABLE promoteros.webhook_events"
        " DROP CONSTRAINT IF EXISTS webhook_events_webhook_id_key"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE promoteros.webhook_events"
        " ADD CONSTRAINT webhook_events_webhook_id_key UNIQUE (webhook_id)"
    )
    op.execute("DROP INDEX IF EXISTS promoteros.webhook_events_source_webhook_id_key")
