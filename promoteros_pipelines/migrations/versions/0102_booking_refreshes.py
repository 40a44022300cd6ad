"""When each artist's tour dates and audience by city were last refreshed.

``booking_refreshes``: one row per (artist, source), ``source`` being ``bandsintown`` (tour
dates) or ``chartmetric`` (audience by city). The 2-hourly booking refresh asks those APIs for
the artists refreshed longest ago first, as many as their rate limits allow in one run, so a
catalogue larger than one run's budget is covered over several runs instead of one run that
never ends (at Chartmetric's 2 requests a second, 25,000 artists are 7 hours of requests).

Revision ID: 0102_booking_refreshes
Revises: 0101_operations_archive
"""

from alembic import op

revision = "0102_booking_refreshes"
down_revision = "0101_operations_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.booking_refreshes (
            artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
            source text NOT NULL CHECK (source IN ('bandsintown', 'chartmetric')),
            refreshed_at timestamptz NOT NULL,
            PRIMARY KEY (artist_id, source)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE promoteros.booking_refreshes")
