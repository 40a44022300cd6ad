"""Analytics: daily metrics, momentum, viral signals, events, models, and the alerts inbox.

Revision ID: 0005_analytics
Revises: 0003_webhooks
"""

from alembic import op

revision = "0005_analytics"
down_revision = "0003_webhooks"
branch_labels = None
depends_on = None

TABLES = (
    "alerts",
    "viral_models",
    "viral_events",
    "viral_signals",
    "artist_momentum",
    "daily_artist_metrics",
)


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.daily_artist_metrics (
            artist_id bigint NOT NULL,
            platform text NOT NULL,
            day date NOT NULL,
            followers double precision,
            days_since_prev integer,
            daily_change double precision,
            growth_1d double precision,
            growth_7d double precision,
            growth_28d double precision,
            engagements double precision,
            engagement_rate double precision,
            popularity double precision,
            peer_tier text,
            growth_1d_baseline_median double precision,
            growth_1d_baseline_mad double precision,
            growth_1d_baseline_days integer,
            engagement_rate_baseline_median double precision,
            engagement_rate_baseline_mad double precision,
            engagement_rate_baseline_days integer,
            growth_z double precision,
            engagement_ratio double precision,
            PRIMARY KEY (artist_id, platform, day)
        )
        """
    )
    op.execute("CREATE INDEX daily_artist_metrics_day_idx ON promoteros.daily_artist_metrics (day)")
    op.execute(
        """
        CREATE TABLE promoteros.artist_momentum (
            artist_id bigint NOT NULL,
            day date NOT NULL,
            lead_platform text,
            followers double precision,
            growth_7d double precision,
            engagement_rate double precision,
            peer_tier text,
            peer_growth_median double precision,
            peer_engagement_median double precision,
            peer_count integer,
            audience_component double precision,
            growth_component double precision,
            engagement_component double precision,
            momentum_score double precision CHECK (momentum_score BETWEEN 0 AND 100),
            why text,
            momentum_version text NOT NULL,
            platforms_scored integer NOT NULL,
            PRIMARY KEY (artist_id, day)
        )
        """
    )
    op.execute("CREATE INDEX artist_momentum_day_idx ON promoteros.artist_momentum (day)")
    op.execute(
        """
        CREATE TABLE promoteros.viral_signals (
            artist_id bigint NOT NULL,
            platform text NOT NULL,
            signal_type text NOT NULL CHECK (signal_type IN
                ('follower_spike', 'engagement_surge', 'cross_platform', 'tier_relative_growth')),
            detected_at timestamptz NOT NULL,
            window_start timestamptz NOT NULL,
            window_end timestamptz NOT NULL,
            strength double precision NOT NULL,
            explanation text NOT NULL,
            metric text,
            value_before double precision,
            value_after double precision,
            growth double precision,
            baseline double precision,
            ratio double precision,
            robust_z double precision,
            peer_tier text,
            platforms text,
            first_seen_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (artist_id, platform, signal_type, detected_at)
        )
        """
    )
    op.execute(
        "CREATE INDEX viral_signals_detected_at_idx ON promoteros.viral_signals (detected_at)"
    )
    op.execute(
        """
        CREATE TABLE promoteros.viral_events (
            event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            artist_id bigint NOT NULL,
            window_start timestamptz NOT NULL,
            detected_at timestamptz NOT NULL,
            last_signal_at timestamptz NOT NULL,
            status text NOT NULL CHECK (status IN ('new', 'confirmed', 'dismissed')),
            confirmed_at timestamptz,
            confirmed_by text CHECK (confirmed_by IN ('model', 'rules')),
            model_version text,
            signal_count integer NOT NULL,
            signal_types text[] NOT NULL,
            platforms text[] NOT NULL,
            evidence_keys text[] NOT NULL,
            peak_strength double precision NOT NULL,
            max_probability double precision CHECK (max_probability BETWEEN 0 AND 1),
            explanation text NOT NULL,
            evidence jsonb NOT NULL DEFAULT '{}',
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (artist_id, window_start)
        )
        """
    )
    op.execute(
        "CREATE INDEX viral_events_last_signal_idx ON promoteros.viral_events (last_signal_at)"
    )
    op.execute(
        """
        CREATE TABLE promoteros.viral_models (
            version text PRIMARY KEY,
            created_at timestamptz NOT NULL,
            path text NOT NULL,
            sha256 char(64) NOT NULL UNIQUE,
            metrics jsonb NOT NULL DEFAULT '{}'
        )
        """
    )
    # The alerts inbox: producers insert, the alerts issue delivers. dedupe_key makes a
    # producer's re-run a no-op (ON CONFLICT DO NOTHING).
    op.execute(
        """
        CREATE TABLE promoteros.alerts (
            alert_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            alert_type text NOT NULL CHECK (alert_type IN
                ('viral', 'booking', 'milestone', 'risk', 'system')),
            severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
            organisation_id bigint REFERENCES promoteros.organisations ON DELETE CASCADE,
            subject text NOT NULL,
            evidence jsonb NOT NULL DEFAULT '{}',
            dedupe_key text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            status text NOT NULL DEFAULT 'pending' CHECK (status IN
                ('pending', 'delivering', 'delivered', 'suppressed', 'failed'))
        )
        """
    )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
