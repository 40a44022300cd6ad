"""``show_sell_through`` (one row per show, refreshed) and its venue / organisation roll-ups.

The roll-ups are views over the per-show table, so they never disagree with it.

Revision ID: 0051_show_sell_through
Revises: 0050_ticketing
"""

from alembic import op

revision = "0051_show_sell_through"
down_revision = "0050_ticketing"
branch_labels = None
depends_on = None

ROLLUP = """
SELECT {key}, count(*)::int AS shows,
       sum(sold)::bigint AS sold, sum(capacity)::bigint AS capacity,
       round(sum(sold)::numeric / nullif(sum(capacity), 0), 4) AS sell_through,
       sum(gross) AS gross,
       round(sum(velocity_24h)::numeric, 2) AS velocity_24h,
       round(sum(velocity_7d)::numeric, 2) AS velocity_7d,
       count(*) FILTER (WHERE at_risk)::int AS shows_at_risk,
       count(*) FILTER (WHERE sold >= capacity)::int AS shows_sold_out,
       max(computed_at) AS computed_at
FROM promoteros.show_sell_through
WHERE {key} IS NOT NULL AND (days_to_show IS NULL OR days_to_show >= 0)
GROUP BY {key}
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.show_sell_through (
            show_id text PRIMARY KEY REFERENCES promoteros.shows ON DELETE CASCADE,
            organisation_id bigint,
            venue_id bigint,
            sold integer NOT NULL,
            capacity integer NOT NULL,
            sell_through double precision NOT NULL,
            gross numeric(14, 2),
            velocity_24h double precision NOT NULL,
            velocity_7d double precision NOT NULL,
            days_to_show integer,
            forecast_sell_through double precision NOT NULL,
            sellout_date date,
            sellout_probability double precision NOT NULL
                CHECK (sellout_probability BETWEEN 0 AND 1),
            at_risk boolean NOT NULL,
            computed_at timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE VIEW promoteros.venue_sell_through AS" + ROLLUP.format(key="venue_id"))
    op.execute(
        "CREATE VIEW promoteros.organisation_sell_through AS" + ROLLUP.format(key="organisation_id")
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS promoteros.organisation_sell_through")
    op.execute("DROP VIEW IF EXISTS promoteros.venue_sell_through")
    op.execute("DROP TABLE IF EXISTS promoteros.show_sell_through")
