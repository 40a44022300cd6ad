"""Ticket sales: ``shows``, ``ticket_sales`` (cumulative curve points) and ``show_milestones``.

* ``shows``: one row per ticketing-system show id; organisation and venue from the venue slug,
  artist once matched by name (nullable until then).
* ``ticket_sales``: one row per (show, observed_at) with the cumulative count. A count lower
  than an earlier observation's (a refund) is kept and flagged (``refund``, ``peak_before``),
  never written over the earlier point.
* ``show_milestones``: one row per (show, 50/75/90/100 %), with the first observation at or
  above it and the alert it was filed in; its key is what makes each milestone file once.

ticketing.sales events that the inbox parked as ``waiting`` (no job handled them before this
area existed) are released to ``pending`` so the ticketing sensor processes them.

Revision ID: 0050_ticketing
Revises: 0020_observation_glitches
"""

from alembic import op

revision = "0050_ticketing"
down_revision = "0020_observation_glitches"
branch_labels = None
# shows and milestones reference alerts (0005, on another branch of the history)
depends_on = ("0005_analytics",)

TABLES = ("show_milestones", "ticket_sales", "shows")


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.shows (
            show_id text PRIMARY KEY,
            organisation_id bigint REFERENCES promoteros.organisations ON DELETE SET NULL,
            venue_id bigint REFERENCES promoteros.venues ON DELETE SET NULL,
            venue_slug text,
            artist_id bigint REFERENCES promoteros.artists ON DELETE SET NULL,
            artist_name text,
            show_date date,
            capacity integer NOT NULL CHECK (capacity > 0),
            on_sale_at timestamptz,
            ticket_price numeric(10, 2) CHECK (ticket_price >= 0),
            currency char(3) CHECK (currency ~ '^[A-Z]{3}$'),
            status text NOT NULL DEFAULT 'announced' CHECK (status IN
                ('announced', 'on_sale', 'sold_out', 'played', 'cancelled')),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX shows_venue_idx ON promoteros.shows (venue_id, show_date)")
    op.execute(
        """
        CREATE TABLE promoteros.ticket_sales (
            show_id text NOT NULL REFERENCES promoteros.shows ON DELETE CASCADE,
            observed_at timestamptz NOT NULL,
            tickets_sold integer NOT NULL CHECK (tickets_sold >= 0),
            gross numeric(14, 2) CHECK (gross >= 0),
            currency char(3),
            refund boolean NOT NULL DEFAULT false,
            peak_before integer,
            event_id bigint,
            ingested_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (show_id, observed_at)
        )
        """
    )
    op.execute("CREATE INDEX ticket_sales_observed_idx ON promoteros.ticket_sales (observed_at)")
    op.execute(
        """
        CREATE TABLE promoteros.show_milestones (
            show_id text NOT NULL REFERENCES promoteros.shows ON DELETE CASCADE,
            milestone smallint NOT NULL CHECK (milestone IN (50, 75, 90, 100)),
            reached_at timestamptz NOT NULL,
            tickets_sold integer NOT NULL,
            alert_id bigint REFERENCES promoteros.alerts ON DELETE SET NULL,
            filed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (show_id, milestone)
        )
        """
    )
    op.execute(
        """
        UPDATE promoteros.webhook_events
        SET status = 'pending', attempts = attempts + 1, updated_at = now(),
            error = 'released: the ticketing job now handles ticketing.sales'
        WHERE event_type = 'ticketing.sales' AND status = 'waiting'
        """
    )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
