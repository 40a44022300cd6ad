"""database_maintenance: retention deletes settled old rows only, old Dagster runs go through
Dagster's API, VACUUM (ANALYZE) runs and sizes are recorded; old observation months are
archived and every step lands in the maintenance summary (run metadata and maintenance_runs);
a failing step is reported, alerts once, and does not stop the others."""

import datetime as dt
from pathlib import Path

import psycopg
from dagster import DagsterInstance, RunConfig, job, materialize, op

from promoteros_pipelines.defs.custom_reports.resource import CustomReportsResource
from promoteros_pipelines.defs.operations import archive_store
from promoteros_pipelines.defs.operations.archive import object_key
from promoteros_pipelines.defs.operations.maintenance import (
    MaintenanceConfig,
    database_maintenance,
)
from promoteros_pipelines.domain.archive import add_months
from promoteros_pipelines.report_store.store import LocalReportStore
from promoteros_pipelines.resources.influx import InfluxMirror
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


def _resources(warehouse: PostgresWarehouse, store_dir: Path) -> dict:
    return {
        "warehouse": warehouse,
        "custom_reports": CustomReportsResource(store_dir=str(store_dir)),
        "influxdb": InfluxMirror(),
    }


def test_retention_keeps_unsettled_and_recent_rows(
    database_url: str, warehouse: PostgresWarehouse, instance: DagsterInstance, tmp_path: Path
) -> None:
    _seed(database_url)
    assert old_job.execute_in_process(instance=instance).success

    result = materialize(
        [database_maintenance],
        resources=_resources(warehouse, tmp_path),
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
            " AND relname = 'webhook_events'"
        ).fetchone()[0]
    assert analysed


def _old_observations(warehouse: PostgresWarehouse, months_back: int) -> dt.date:
    """A month of observations ``months_back`` months ago; that month's first day."""
    month = add_months(dt.datetime.now(dt.UTC).date().replace(day=1), -months_back)
    with warehouse.connect() as conn:
        conn.execute(
            "INSERT INTO promoteros.artists (artist_id, name, normalized_name)"
            " OVERRIDING SYSTEM VALUE VALUES (7, 'Seven', 'seven')"
        )
        conn.execute(
            "INSERT INTO promoteros.metric_observations (artist_id, platform, metric,"
            " observed_at, value) SELECT 7, 'spotify', 'followers', %s + make_interval(hours => g),"
            " g FROM generate_series(0, 99) g",
            (dt.datetime.combine(month, dt.time(), dt.UTC),),
        )
    return month


def test_the_summary_says_what_each_step_did_and_old_months_are_archived(
    warehouse: PostgresWarehouse, instance: DagsterInstance, tmp_path: Path
) -> None:
    month = _old_observations(warehouse, 16)

    result = materialize(
        [database_maintenance], resources=_resources(warehouse, tmp_path), instance=instance
    )

    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["partitions_archived"].value == 1
    assert metadata["rows_archived"].value == 100
    assert metadata["archive_bytes"].value > 0
    assert metadata["failed_steps"].value == "none"
    summary = metadata["summary"].value
    assert f"1 month archived ({month:%Y-%m}): 100 rows" in summary
    assert "InfluxDB is not configured" in summary
    assert month not in archive_store.partition_months(warehouse)
    assert LocalReportStore(tmp_path).exists(object_key(month))
    with warehouse.connect() as conn:
        steps, failed = conn.execute(
            "SELECT steps, failed_steps FROM promoteros.maintenance_runs"
        ).fetchone()
    assert failed == []
    assert [s["name"] for s in steps] == [
        "retention", "partitions", "archive", "influxdb_downsampling", "vacuum_analyze",
        "table_sizes",
    ]  # fmt: skip


def test_a_failing_step_is_reported_alerts_once_and_the_others_still_run(
    warehouse: PostgresWarehouse, instance: DagsterInstance, tmp_path: Path
) -> None:
    _old_observations(warehouse, 16)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the store's folder should be")

    for _ in range(2):
        result = materialize(
            [database_maintenance], resources=_resources(warehouse, blocked), instance=instance
        )
        assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["failed_steps"].value == "archive"
    assert metadata["partitions_archived"].value == 0
    with warehouse.connect() as conn:
        alerts = conn.execute(
            "SELECT severity, subject FROM promoteros.alerts WHERE alert_type = 'system'"
        ).fetchall()
        runs = conn.execute(
            "SELECT steps, failed_steps FROM promoteros.maintenance_runs ORDER BY started_at"
        ).fetchall()
    assert alerts == [("warning", "Nightly maintenance: the archive step failed")]
    assert [failed for _, failed in runs] == [["archive"], ["archive"]]
    later_steps = {s["name"]: s for s in runs[-1][0]}
    assert later_steps["vacuum_analyze"]["failed"] is None
    assert "not-a-directory" in later_steps["archive"]["failed"]
