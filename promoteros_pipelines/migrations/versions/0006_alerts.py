"""Alerts delivery: per-recipient preferences, the notification log, in-app rows, digest log.

Revision ID: 0006_alerts
Revises: 0005_analytics
"""

from alembic import op

revision = "0006_alerts"
down_revision = "0005_analytics"
branch_labels = None
depends_on = None

TABLES = ("digest_log", "in_app_notifications", "notification_log", "alert_preferences")
CHANNELS = "('email', 'slack', 'sms', 'in_app')"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.alert_preferences (
            recipient_id bigint PRIMARY KEY REFERENCES promoteros.recipients ON DELETE CASCADE,
            channels text[] NOT NULL DEFAULT '{email,in_app}'
                CHECK (channels <@ ARRAY['email', 'slack', 'sms', 'in_app']),
            min_severity text NOT NULL DEFAULT 'info'
                CHECK (min_severity IN ('info', 'warning', 'critical')),
            quiet_start time,
            quiet_end time,
            max_per_hour integer CHECK (max_per_hour > 0),
            phone text CHECK (phone ~ '^\\+[1-9][0-9]{6,14}$'),
            slack_target text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
        )
        """
    )
    # One row per (alert, recipient, channel): the exactly-once key. 'sending' is written
    # before the send, so a crash between send and record is found and never sent blind twice.
    op.execute(
        f"""
        CREATE TABLE promoteros.notification_log (
            notification_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            alert_id bigint NOT NULL REFERENCES promoteros.alerts ON DELETE CASCADE,
            recipient_id bigint NOT NULL REFERENCES promoteros.recipients ON DELETE CASCADE,
            channel text NOT NULL CHECK (channel IN {CHANNELS}),
            status text NOT NULL CHECK (status IN
                ('pending', 'deferred', 'sending', 'sent', 'capped', 'dead')),
            idempotency_key text NOT NULL UNIQUE,
            attempts integer NOT NULL DEFAULT 0,
            last_error text,
            next_attempt_at timestamptz,
            sent_at timestamptz,
            receipt text,
            digest_day date,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (alert_id, recipient_id, channel)
        )
        """
    )
    op.execute(
        "CREATE INDEX notification_log_due_idx ON promoteros.notification_log (next_attempt_at)"
        " WHERE status IN ('pending', 'deferred', 'sending')"
    )
    op.execute(
        "CREATE INDEX notification_log_recipient_idx"
        " ON promoteros.notification_log (recipient_id, created_at)"
    )
    op.execute(
        """
        CREATE TABLE promoteros.in_app_notifications (
            alert_id bigint NOT NULL REFERENCES promoteros.alerts ON DELETE CASCADE,
            recipient_id bigint NOT NULL REFERENCES promoteros.recipients ON DELETE CASCADE,
            alert_type text NOT NULL,
            severity text NOT NULL,
            subject text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            read_at timestamptz,
            PRIMARY KEY (alert_id, recipient_id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.digest_log (
            organisation_id bigint NOT NULL REFERENCES promoteros.organisations ON DELETE CASCADE,
            day date NOT NULL,
            status text NOT NULL CHECK (status IN ('sending', 'sent')),
            message_id text NOT NULL,
            recipients integer NOT NULL,
            sent_at timestamptz,
            PRIMARY KEY (organisation_id, day)
        )
        """
    )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
