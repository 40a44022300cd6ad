"""The data_validation job through Dagster: checks evaluated on the owning assets, findings
logged, nothing materialised."""

import datetime as dt

import psycopg
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from promoteros_pipelines.definitions import defs
from promoteros_pipelines.settings import DATABASE_URL_ENV
from tests.defs.operations.seed import NOW, seed_world


def test_the_job_records_check_results_and_logs_findings(
    monkeypatch, database_url: str, instance: DagsterInstance
) -> None:
    seed_world(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE promoteros.metric_observations SET value = -1 WHERE observed_at = %s",
            (NOW - dt.timedelta(days=9),),
        )
    monkeypatch.setenv(DATABASE_URL_ENV, database_url)

    result = defs.resolve_job_def("data_validation").execute_in_process(
        instance=instance, raise_on_error=False
    )

    assert result.success  # a failed check is a finding, not a failed run
    assert result.get_asset_materialization_events() == []
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in result.get_asset_check_evaluations()
    }
    failed = sorted(k for k, e in evaluations.items() if not e.passed)
    assert ("metric_observations", "STORED_VALUES_IN_RANGE") in failed
    assert ("venues", "STORED_VALUES_IN_RANGE") in evaluations
    ranges = evaluations[("metric_observations", "STORED_VALUES_IN_RANGE")]
    assert ranges.metadata["severity"].value == "critical"
    assert ranges.metadata["details"].value["rows_failing_value_not_negative"] == 12
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [AssetCheckKey(AssetKey("metric_observations"), "STORED_VALUES_IN_RANGE")]
    )
    assert record
    with psycopg.connect(database_url) as conn:
        logged = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT passed) FROM promoteros.data_quality_log"
        ).fetchone()
    assert logged[0] == len(evaluations) and logged[1] == len(failed)
