"""``observation_glitches``: one-sample glitches the viral detector set aside.

A value that departs and returns within one sample (a collector reading 1% of a follower count)
is not a spike; ``viral_signals`` leaves it out of ratios and baselines and records it here so
a person can see what was excluded and why. Natural key: the observation's
(artist_id, platform, metric, observed_at).

Revision ID: 0020_observation_glitches
Revises: 0011_inbox_unsettled_index
"""

from alembic import op

revision = "0020_observation_glitches"
down_revision = "0011_inbox_unsettled_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.observation_glitches (
            artist_id bigint NOT NULL,
            platform text NOT NULL,
            metric text NOT NULL,
            observed_at timestamptz NOT NULL,
            value double precision NOT NULL,
            value_before double precision NOT NULL,
            value_after double precision NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (artist_id, platform, metric, observed_at)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS promoteros.observation_glitches")
