"""Reports: the archive of rendered weekly PDFs and who each one was mailed to.

``report_archive`` has one row per (organisation, period, role, venue): re-rendering a period
replaces the file and its checksum in place. ``report_deliveries`` has one row per (archived
report, recipient email), so a re-materialised partition does not mail anybody twice.

Revision ID: 0007_reports
Revises: 0005_analytics
"""

from alembic import op

revision = "0007_reports"
down_revision = "0005_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.report_archive (
            archive_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            organisation_id bigint NOT NULL
                REFERENCES promoteros.organisations ON DELETE CASCADE,
            report text NOT NULL DEFAULT 'weekly_executive_report',
            period text NOT NULL,
            role text NOT NULL CHECK (role IN ('executive', 'ops', 'venue')),
            venue_id bigint REFERENCES promoteros.venues ON DELETE CASCADE,
            path text NOT NULL,
            sha256 char(64) NOT NULL,
            size_bytes integer NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((role = 'venue') = (venue_id IS NOT NULL))
        )
        """
    )
    # venue_id is NULL for organisation-wide variants; COALESCE makes the key total on PG 14
    op.execute(
        "CREATE UNIQUE INDEX report_archive_natural_key ON promoteros.report_archive"
        " (organisation_id, report, period, role, (COALESCE(venue_id, 0)))"
    )
    op.execute(
        """
        CREATE TABLE promoteros.report_deliveries (
            archive_id bigint NOT NULL REFERENCES promoteros.report_archive ON DELETE CASCADE,
            email text NOT NULL,
            status text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
            attempts integer NOT NULL DEFAULT 1,
            sha256 char(64) NOT NULL,
            message_id text,
            last_error text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (archive_id, email)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS promoteros.report_deliveries")
    op.execute("DROP TABLE IF EXISTS promoteros.report_archive")
