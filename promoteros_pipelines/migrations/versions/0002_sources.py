"""Discovery and ingestion: trending candidates, observations waiting for an artist, mirrors.

Revision ID: 0002_sources
Revises: 0001_core
"""

from alembic import op

revision = "0002_sources"
down_revision = "0001_core"
branch_labels = None
depends_on = None

METRICS = "('followers', 'views', 'likes', 'comments', 'shares', 'posts', 'popularity')"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.trending_candidates (
            discovered_at timestamptz NOT NULL,
            normalized_name text NOT NULL,
            name text NOT NULL,
            platform_ids jsonb NOT NULL DEFAULT '{}',
            sources text[] NOT NULL DEFAULT '{}',
            score double precision NOT NULL,
            reason text NOT NULL,
            outcome text NOT NULL CHECK (outcome IN ('new', 'already_tracked', 'below_top_n')),
            artist_id bigint REFERENCES promoteros.artists ON DELETE SET NULL,
            PRIMARY KEY (discovered_at, normalized_name)
        )
        """
    )
    # Scraper observations whose external id names no tracked artist yet: kept, not dropped,
    # and moved into metric_observations when the artist is tracked (watch or discovery).
    op.execute(
        f"""
        CREATE TABLE promoteros.pending_observations (
            platform text NOT NULL,
            external_id text NOT NULL,
            metric text NOT NULL CHECK (metric IN {METRICS}),
            observed_at timestamptz NOT NULL,
            value double precision NOT NULL,
            artist_name text,
            event_id bigint REFERENCES promoteros.webhook_events ON DELETE SET NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (platform, external_id, metric, observed_at)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.mirror_high_water_marks (
            mirror text PRIMARY KEY,
            high_water_mark timestamptz NOT NULL,
            -- the last point written at high_water_mark, so a batch cut mid-timestamp resumes
            -- after it: (artist_id, platform, observed_at)
            last_key jsonb,
            rows_mirrored bigint NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.artist_metrics_latest (
            artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
            platform text NOT NULL,
            metric text NOT NULL,
            observed_at timestamptz NOT NULL,
            value double precision NOT NULL,
            PRIMARY KEY (artist_id, platform, metric)
        )
        """
    )
    op.execute(
        "CREATE INDEX metric_observations_ingested_at_idx"
        " ON promoteros.metric_observations (ingested_at)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS promoteros.metric_observations_ingested_at_idx")
    for table in (
        "artist_metrics_latest",
        "mirror_high_water_marks",
        "pending_observations",
        "trending_candidates",
    ):
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
