"""Core tables: reference data, artists, their platform ids, metric observations, webhook inbox.

These table names and their natural keys are a contract other tools query; change them only
with a migration that keeps the old names working.

Revision ID: 0001_core
Revises:
"""

from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

PLATFORMS = "('spotify', 'youtube', 'tiktok', 'instagram', 'bandsintown')"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.organisations (
            organisation_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
            name text NOT NULL,
            time_zone text NOT NULL,
            currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.venues (
            venue_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            organisation_id bigint NOT NULL
                REFERENCES promoteros.organisations ON DELETE CASCADE,
            slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
            name text NOT NULL,
            city text NOT NULL,
            country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
            latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
            longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
            capacity integer NOT NULL CHECK (capacity > 0),
            genres text[] NOT NULL DEFAULT '{}',
            typical_ticket_price numeric(10, 2) NOT NULL CHECK (typical_ticket_price >= 0),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (organisation_id, slug)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.recipients (
            recipient_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            organisation_id bigint NOT NULL
                REFERENCES promoteros.organisations ON DELETE CASCADE,
            name text NOT NULL,
            email text NOT NULL CHECK (position('@' in email) > 1),
            role text NOT NULL CHECK (role IN ('exec', 'ops', 'venue_manager', 'analyst')),
            venue_id bigint REFERENCES promoteros.venues ON DELETE SET NULL,
            time_zone text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (organisation_id, email)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.artists (
            artist_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL,
            normalized_name text NOT NULL,
            genres text[] NOT NULL DEFAULT '{}',
            home_city text,
            source text NOT NULL DEFAULT 'discovery',
            discovery_reason text,
            first_seen_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX artists_normalized_name_idx ON promoteros.artists (normalized_name)")
    op.execute(
        f"""
        CREATE TABLE promoteros.artist_platform_ids (
            artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
            platform text NOT NULL CHECK (platform IN {PLATFORMS}),
            external_id text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (platform, external_id),
            UNIQUE (artist_id, platform)
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE promoteros.metric_observations (
            artist_id bigint NOT NULL REFERENCES promoteros.artists ON DELETE CASCADE,
            platform text NOT NULL CHECK (platform IN {PLATFORMS}),
            metric text NOT NULL CHECK (metric IN
                ('followers', 'views', 'likes', 'comments', 'shares', 'posts', 'popularity')),
            observed_at timestamptz NOT NULL,
            value double precision NOT NULL,
            source text NOT NULL DEFAULT 'api',
            ingested_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (artist_id, platform, metric, observed_at)
        )
        """
    )
    op.execute(
        "CREATE INDEX metric_observations_observed_at_idx"
        " ON promoteros.metric_observations (observed_at)"
    )
    op.execute(
        """
        CREATE TABLE promoteros.webhook_events (
            event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            source text NOT NULL,
            event_type text NOT NULL,
            webhook_id text NOT NULL UNIQUE,
            received_at timestamptz NOT NULL DEFAULT now(),
            payload jsonb NOT NULL,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'waiting', 'running', 'done', 'failed', 'dead')),
            attempts integer NOT NULL DEFAULT 0,
            run_id text,
            error text,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE INDEX webhook_events_pending_idx"
        " ON promoteros.webhook_events (event_type, event_id) WHERE status = 'pending'"
    )


def downgrade() -> None:
    for table in (
        "webhook_events",
        "metric_observations",
        "artist_platform_ids",
        "artists",
        "recipients",
        "venues",
        "organisations",
    ):
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
