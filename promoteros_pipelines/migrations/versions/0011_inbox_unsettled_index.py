"""Index the inbox's ``running`` and ``failed`` events by when they last changed.

The ``stranded_events`` sensor looks every 30 s for events in those states that nothing has
touched for a minute. They are few at any time, while the inbox keeps every handled event:
a partial index keeps the look a few index entries long. Built concurrently, so the ingress
keeps accepting webhooks meanwhile.

Revision ID: 0011_inbox_unsettled_index
Revises: 0010_inbox_key_per_source
"""

from alembic import op

revision = "0011_inbox_unsettled_index"
down_revision = "0010_inbox_key_per_source"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_events_unsettled_idx"
            " ON promoteros.webhook_events (updated_at) WHERE status IN ('running', 'failed')"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS promoteros.webhook_events_unsettled_idx")
