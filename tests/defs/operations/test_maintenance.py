"""database_maintenance: retention deletes settled old rows only, old Dagster runs go through
Dagster's API, VACUUM (ANALYZE) runs and sizes are recorded."""

import datetime as dt

import psycopg
from dagster import DagsterInstance, RunConfig, job, materialize, op

from promoteros_pipelines.defs.operations.maintenance import (
    MaintenanceConfig,
    database_maintenance,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

OLD = dt.datetime.now(dt.UTC) - dt.timedelta(days=120)
RECENT = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)


def _seed(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for n, (status, at) in enumerate(
            [("done", OLD), ("dead", OLD), ("pending", OLD), ("failed", OLD), ("done", RECENT)]
        ):
            conn.execute(
                "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload,"
                " status, updated_at) VALUES ('n8n', 'x', %s, '{}', %s, %s)",
                (f"w{n}", status, at),
            )
        for n, (status, at) in enumerate([("delivered", OLD), ("pending", OLD), ("dead", RECENT)]):
            conn.execute(
                "INSERT INTO promoteros.outbox_deliveries (idempotency_key, target, url,"
                " event_type, payload, status, created_at) VALUES (%s, 't', 'http://x', 'e',"
                " '{}', %s, %s)",
                (f"k{n}", status, at),
            )


@op
def noop() -> None:
    return None


@job
def old_job() -> None:
    noop()


def test_retention_keeps_unsettled_and_recent_rows(
    database_url: str, warehouse: PostgresWarehouse, instance: DagsterInstance
) -> None:
    _seed(database_url)
    assert old_job.execute_in_process(instance=instance).success

    result = materialize(
        [database_maintenance],
        resources={"warehouse": warehouse},
        instance=instance,
        run_config=RunConfig(
            {"database_maintenance": MaintenanceConfig(retention_days=90, run_history_days=0)}
        ),
    )

    assert result.success
    with psycopg.connect(database_url) as conn:
        inbox = conn.execute(
            "SELECT webhook_id FROM promoteros.webhook_events ORDER BY webhook_id"
        ).fetchall()
        outbox = conn.execute(
            "SELECT idempotency_key FROM promoteros.outbox_deliveries ORDER BY 1"
        ).fetchall()
    assert [w for (w,) in inbox] == ["w2", "w3", "w4"]  # pending, failed, recent stay
    assert [k for (k,) in outbox] == ["k1", "k2"]
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["rows_deleted"].value == {
        "webhook_events": 2,
        "outbox_deliveries": 1,
        "notification_log": 0,
        "custom_reports": 0,
        "system_health": 0,
        "data_quality_log": 0,
        "pipeline_kpis": 0,
        "ops_incidents": 0,
        "dagster_runs": 1,
    }
    assert metadata["total_bytes"].value > 0
    runs = [r.job_name for r in instance.get_runs()]
    assert "old_job" not in runs and len(runs) == 1  # the maintenance run itself stays
    with psycopg.connect(database_url) as conn:
        analysed = conn.execute(
            "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
            " FROM pg_stat_user_tables WHERE schemaname = 'promoteros'"
            " AND relname = 'metric_observations'"
        ).fetchone()[0]
    assert analysed
