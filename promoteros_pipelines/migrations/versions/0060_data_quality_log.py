"""``data_quality_log``, ``ops_incidents`` and ``system_health``: what the operations area records.

``data_quality_log`` (contract, issue 17): one row per finding of a data-validation round, keyed
by (``checked_at``, ``asset``, ``check``); ``before``/``after`` hold what an auto-fix changed.
``ops_incidents``: one row per incident a sensor opened (a failing check, a stale asset, an
unhealthy system), so each incident files one alert and is closed when it clears.
``system_health``: one row per health probe round with its 0-100 score and components.

Revision ID: 0060_data_quality_log
Revises: 0052_demand_models
"""

from alembic import op

revision = "0060_data_quality_log"
down_revision = "0052_demand_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.data_quality_log (
            checked_at timestamptz NOT NULL,
            asset text NOT NULL,
            "check" text NOT NULL,
            severity text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
            passed boolean NOT NULL,
            details jsonb NOT NULL DEFAULT '{}',
            auto_fixed boolean NOT NULL DEFAULT false,
            before jsonb,
            after jsonb,
            PRIMARY KEY (checked_at, asset, "check")
        )
        """
    )
    op.execute(
        "CREATE INDEX data_quality_log_latest_idx"
        ' ON promoteros.data_quality_log (asset, "check", checked_at DESC)'
    )
    op.execute(
        """
        CREATE TABLE promoteros.ops_incidents (
            incident_key text NOT NULL,
            opened_at timestamptz NOT NULL,
            closed_at timestamptz,
            severity text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
            subject text NOT NULL,
            details jsonb NOT NULL DEFAULT '{}',
            PRIMARY KEY (incident_key, opened_at)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX ops_incidents_one_open_idx ON promoteros.ops_incidents"
        " (incident_key) WHERE closed_at IS NULL"
    )
    op.execute(
        """
        CREATE TABLE promoteros.system_health (
            checked_at timestamptz PRIMARY KEY,
            score integer NOT NULL CHECK (score BETWEEN 0 AND 100),
            status text NOT NULL CHECK (status IN ('healthy', 'degraded', 'down')),
            components jsonb NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.pipeline_kpis (
            computed_at timestamptz NOT NULL,
            job_name text NOT NULL,
            runs integer NOT NULL,
            succeeded integer NOT NULL,
            failed integer NOT NULL,
            success_rate double precision,
            p50_seconds double precision,
            p95_seconds double precision,
            failures_by_error jsonb NOT NULL DEFAULT '{}',
            PRIMARY KEY (computed_at, job_name)
        )
        """
    )


def downgrade() -> None:
    for table in ("pipeline_kpis", "system_health", "ops_incidents", "data_quality_log"):
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
