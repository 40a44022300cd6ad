"""The booking workflow's extra columns: who the offer goes to, where it is, why it closed.

* ``artist_management``: the artist's management contact (the offer's addressee), one row
  per artist; set with ``promoteros booking management ARTIST_ID EMAIL``.
* ``booking_opportunities.status_reason``: why the status last changed, in plain English
  (an approval rejected or expired, the window passed, the artist's answer).
* ``booking_opportunities.offer_path``: the offer PDF prepared for the approval.
* ``booking_opportunities.organisation_id``: the venue's organisation, copied when the row is
  written, so reports and listings filter without a join.

Revision ID: 0094_booking_flow
Revises: 0090_booking
"""

from alembic import op

revision = "0094_booking_flow"
down_revision = "0090_booking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.artist_management (
            artist_id bigint PRIMARY KEY REFERENCES promoteros.artists ON DELETE CASCADE,
            name text NOT NULL,
            email text NOT NULL CHECK (position('@' in email) > 1),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        ALTER TABLE promoteros.booking_opportunities
            ADD COLUMN organisation_id bigint
                REFERENCES promoteros.organisations ON DELETE CASCADE,
            ADD COLUMN status_reason text,
            ADD COLUMN offer_path text
        """
    )
    op.execute(
        "CREATE INDEX booking_opportunities_org_created"
        " ON promoteros.booking_opportunities (organisation_id, created_at)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS promoteros.booking_opportunities_org_created")
    op.execute(
        "ALTER TABLE promoteros.booking_opportunities DROP COLUMN organisation_id,"
        " DROP COLUMN status_reason, DROP COLUMN offer_path"
    )
    op.execute("DROP TABLE IF EXISTS promoteros.artist_management")
