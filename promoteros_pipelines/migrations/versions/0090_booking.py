"""Booking scoring: tour dates, audience by city, scores, opportunities, venue costs.

* ``tour_dates``: an artist's announced shows from Bandsintown (``event_id`` unique), refreshed
  every 2 hours; the routing and gap-market components read them.
* ``artist_city_audience``: listeners/followers per artist per city and platform at
  ``observed_at`` (from an "audience by city" endpoint; public Spotify has none).
* ``booking_scores``: one row per (artist, venue, scored_at): score 0-100, its components and a
  plain-English explanation; ``model_version`` names the blend that produced it.
* ``booking_opportunities``: pairs above the threshold with their recommendation. At most one
  *live* opportunity per (artist, venue), enforced by a partial unique index, so two runs that
  race cannot both file one.
* ``venues`` gains its cost reference (``fixed_cost``, ``cost_per_head``) for the projection.

Revision ID: 0090_booking
Revises: 0070_approvals
"""

from alembic import op

revision = "0090_booking"
down_revision = "0070_approvals"
branch_labels = None
depends_on = None

LIVE_STATUSES = "('new', 'pending_approval', 'sent', 'followed_up')"


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE promoteros.venues
            ADD COLUMN fixed_cost numeric(12, 2) NOT NULL DEFAULT 0 CHECK (fixed_cost >= 0),
            ADD COLUMN cost_per_head numeric(10, 2) NOT NULL DEFAULT 0
                CHECK (cost_per_head >= 0)
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.tour_dates (
            event_id text PRIMARY KEY,
            artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
            event_date date NOT NULL,
            venue_name text NOT NULL,
            city text NOT NULL,
            country text NOT NULL,
            latitude double precision CHECK (latitude BETWEEN -90 AND 90),
            longitude double precision CHECK (longitude BETWEEN -180 AND 180),
            fetched_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE INDEX tour_dates_artist_date ON promoteros.tour_dates (artist_id, event_date)"
    )
    op.execute(
        """
        CREATE TABLE promoteros.artist_city_audience (
            artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
            city text NOT NULL,
            country text NOT NULL,
            platform text NOT NULL,
            observed_at timestamptz NOT NULL,
            listeners bigint NOT NULL CHECK (listeners >= 0),
            latitude double precision CHECK (latitude BETWEEN -90 AND 90),
            longitude double precision CHECK (longitude BETWEEN -180 AND 180),
            PRIMARY KEY (artist_id, city, country, platform, observed_at)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.booking_scores (
            artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
            venue_id bigint NOT NULL REFERENCES promoteros.venues ON DELETE CASCADE,
            scored_at timestamptz NOT NULL,
            score numeric(5, 1) NOT NULL CHECK (score BETWEEN 0 AND 100),
            components jsonb NOT NULL,
            explanation text NOT NULL,
            model_version text NOT NULL,
            PRIMARY KEY (artist_id, venue_id, scored_at)
        )
        """
    )
    op.execute(
        "CREATE INDEX booking_scores_scored_at ON promoteros.booking_scores (scored_at, score)"
    )
    op.execute(
        """
        CREATE TABLE promoteros.booking_opportunities (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
            venue_id bigint NOT NULL REFERENCES promoteros.venues ON DELETE CASCADE,
            status text NOT NULL DEFAULT 'new' CHECK (status IN
                ('new', 'pending_approval', 'sent', 'followed_up', 'accepted', 'declined',
                 'expired')),
            score numeric(5, 1) NOT NULL CHECK (score BETWEEN 0 AND 100),
            window_start date NOT NULL,
            window_end date NOT NULL,
            routing jsonb NOT NULL DEFAULT '{}'::jsonb,
            projection jsonb NOT NULL DEFAULT '{}'::jsonb,
            recommendation jsonb NOT NULL DEFAULT '{}'::jsonb,
            approval_id text REFERENCES promoteros.approvals ON DELETE SET NULL,
            alert_id bigint REFERENCES promoteros.alerts ON DELETE SET NULL,
            response text CHECK (response IN ('accepted', 'declined', 'counter')),
            response_note text,
            sent_at timestamptz,
            followed_up_at timestamptz,
            follow_up_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK (window_end >= window_start)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX booking_opportunities_one_live"
        " ON promoteros.booking_opportunities (artist_id, venue_id)"
        f" WHERE status IN {LIVE_STATUSES}"
    )
    op.execute(
        "CREATE INDEX booking_opportunities_status"
        " ON promoteros.booking_opportunities (status, follow_up_at)"
    )


def downgrade() -> None:
    for table in ("booking_opportunities", "booking_scores", "artist_city_audience", "tour_dates"):
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
    op.execute("ALTER TABLE promoteros.venues DROP COLUMN fixed_cost, DROP COLUMN cost_per_head")
