"""Index the inbox's ``waiting`` events, as ``pending`` ones already are.

The inbox sensors read, every few seconds, the pending events after their cursor and the
waiting ones (events whose job was not deployed yet). Without this index the waiting branch
scanned the whole of ``webhook_events``: 100 ms a tick at a million handled events, growing
with the table. Built concurrently, so the ingress keeps accepting webhooks meanwhile.

Revision ID: 0009_inbox_waiting_index
Revises: 0003_webhooks
"""

from alembic import op

revision = "0009_inbox_waiting_index"
down_revision = "0003_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_events_waiting_idx"
            " ON promoteros.webhook_events (event_type, event_id) WHERE status = 'waiting'"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS promoteros.webhook_events_waiting_idx")
