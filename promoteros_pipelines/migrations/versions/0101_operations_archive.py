"""Archive of old observation months, the maintenance summaries and platform breaker states.

* ``observation_archives``: one row per month of ``metric_observations`` exported to the
  object store (key ``month``): where the Parquet file is, its rows, content checksum and
  SHA-256 as verified by reading it back, and when the partition was dropped. A restored month
  has ``restored_at`` and is kept in the database until ``keep_until``.
* ``maintenance_runs``: what each step of a 03:00 maintenance run did (rows, bytes,
  partitions), keyed by the Dagster run id; the weekly ops report reads it.
* ``platform_breakers``: the last known circuit-breaker state of each platform API
  (closed / open / half-open), written by the platform clients when it changes, so that
  ``system_health`` (another process) can report it.

Revision ID: 0101_operations_archive
Revises: 0100_observation_partitions
"""

from alembic import op

revision = "0101_operations_archive"
down_revision = "0100_observation_partitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.observation_archives (
            month date PRIMARY KEY CHECK (extract(day FROM month) = 1),
            object_key text NOT NULL,
            location text NOT NULL,
            rows bigint NOT NULL CHECK (rows >= 0),
            content_checksum text NOT NULL,
            sha256 text NOT NULL,
            size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
            archived_at timestamptz NOT NULL DEFAULT now(),
            dropped_at timestamptz,
            restored_at timestamptz,
            keep_until timestamptz
        )
        """
    )
    op.execute(
        """
        CREATE TABLE promoteros.maintenance_runs (
            run_id text PRIMARY KEY,
            started_at timestamptz NOT NULL,
            finished_at timestamptz NOT NULL,
            steps jsonb NOT NULL,
            failed_steps text[] NOT NULL DEFAULT '{}'
        )
        """
    )
    op.execute(
        "CREATE INDEX maintenance_runs_started_at_idx ON promoteros.maintenance_runs (started_at)"
    )
    op.execute(
        """
        CREATE TABLE promoteros.platform_breakers (
            platform text PRIMARY KEY,
            state text NOT NULL CHECK (state IN ('closed', 'open', 'half-open')),
            failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
            changed_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    for table in ("platform_breakers", "maintenance_runs", "observation_archives"):
        op.execute(f"DROP TABLE IF EXISTS promoteros.{table}")
