"""Custom reports: one row per ``report.request`` event, from request to expiry.

Revision ID: 0008_custom_reports
Revises: 0005_analytics
"""

from alembic import op

revision = "0008_custom_reports"
down_revision = "0005_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Natural key: event_id (the webhook_events row that asked for the report), so a re-run
    # of the same event finds its row instead of building and mailing a second report.
    op.execute(
        """
        CREATE TABLE promoteros.custom_reports (
            report_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id bigint NOT NULL UNIQUE,
            organisation text NOT NULL,
            requested_by text NOT NULL,
            format text NOT NULL CHECK (format IN ('pdf', 'xlsx', 'csv', 'json')),
            parameters jsonb NOT NULL,
            status text NOT NULL DEFAULT 'building'
                CHECK (status IN ('building', 'stored', 'sent', 'rejected', 'expired')),
            object_key text,
            path text,
            sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            size_bytes bigint CHECK (size_bytes >= 0),
            rows integer CHECK (rows >= 0),
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            stored_at timestamptz,
            sent_at timestamptz,
            expires_at timestamptz,
            expired_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE INDEX custom_reports_expiring_idx ON promoteros.custom_reports (expires_at) "
        "WHERE status IN ('stored', 'sent')"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS promoteros.custom_reports")
