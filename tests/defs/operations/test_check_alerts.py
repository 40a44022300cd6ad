"""check_results_to_alerts: a failing check or a stale asset files one system alert per
incident, nothing while it keeps failing, and the incident closes when it passes again."""

import datetime as dt

import psycopg
from dagster import AssetMaterialization, DagsterInstance, build_sensor_context

from promoteros_pipelines.definitions import defs
from promoteros_pipelines.defs.operations.incidents import reconcile
from promoteros_pipelines.defs.operations.sensors import freshness_states
from promoteros_pipelines.defs.operations.store import open_incidents
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import DATABASE_URL_ENV
from tests.defs.operations.seed import seed_world
from tests.support.sensor_ticks import tick

SENSOR = "check_results_to_alerts"
RANGE_INCIDENT = "check:metric_observations:STORED_VALUES_IN_RANGE"


def _materialise_all(instance: DagsterInstance, skip_day: dt.date | None = None) -> None:
    """Every asset with a freshness policy, the daily ones for the last four days."""
    for asset in ("metric_observations", "viral_events"):
        instance.report_runless_asset_event(AssetMaterialization(asset))
    today = dt.datetime.now(dt.UTC).date()
    for asset in ("daily_artist_metrics", "artist_momentum"):
        for back in range(4):
            day = today - dt.timedelta(days=back)
            if day != skip_day:
                instance.report_runless_asset_event(
                    AssetMaterialization(asset, partition=day.isoformat())
                )


def _validate(instance: DagsterInstance) -> None:
    result = defs.resolve_job_def("data_validation").execute_in_process(instance=instance)
    assert result.success


def _alerts(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT alert_type, severity, subject FROM promoteros.alerts ORDER BY alert_id"
        ).fetchall()


def test_one_alert_per_incident_closed_when_it_passes(
    monkeypatch, database_url: str, warehouse: PostgresWarehouse, instance: DagsterInstance
) -> None:
    seed_world(database_url)
    monkeypatch.setenv(DATABASE_URL_ENV, database_url)
    _materialise_all(instance)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE promoteros.metric_observations SET value = -1 WHERE artist_id = 3")

    _validate(instance)
    tick(SENSOR, instance, warehouse)
    tick(SENSOR, instance, warehouse)  # still failing: no second alert

    assert [i["incident_key"] for i in open_incidents(warehouse)] == [RANGE_INCIDENT]
    assert _alerts(database_url) == [
        ("system", "critical", "Data check failing: STORED_VALUES_IN_RANGE on metric_observations")
    ]

    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE promoteros.metric_observations SET value = 7 WHERE value = -1")
    _validate(instance)
    tick(SENSOR, instance, warehouse)
    assert open_incidents(warehouse) == []
    assert len(_alerts(database_url)) == 1

    with psycopg.connect(database_url) as conn:  # broken again: a new incident, a new alert
        conn.execute("UPDATE promoteros.metric_observations SET value = -2 WHERE artist_id = 1")
    _validate(instance)
    tick(SENSOR, instance, warehouse)
    assert len(_alerts(database_url)) == 2


def test_a_stale_asset_is_one_incident_until_it_is_materialised(
    database_url: str, warehouse: PostgresWarehouse, instance: DagsterInstance
) -> None:
    _materialise_all(instance)
    tick(SENSOR, instance, warehouse)
    assert open_incidents(warehouse) == []  # everything fresh

    context = build_sensor_context(instance=instance, definitions=defs, sensor_name=SENSOR)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)  # past 8 h and 2 h, not 30 h
    reconcile(warehouse, freshness_states(context, later), later)
    reconcile(warehouse, freshness_states(context, later), later)

    assert [i["incident_key"] for i in open_incidents(warehouse)] == [
        "freshness:metric_observations",
        "freshness:viral_events",
    ]
    alerts = _alerts(database_url)
    assert [a[:2] for a in alerts] == [("system", "critical"), ("system", "critical")]
    assert alerts[0][2] == "Stale data: metric_observations (last updated 9.0 h ago)"

    tick(SENSOR, instance, warehouse)  # now: fresh again
    assert open_incidents(warehouse) == []
    assert len(_alerts(database_url)) == 2


def test_an_asset_never_materialised_is_not_stale(
    warehouse: PostgresWarehouse, instance: DagsterInstance
) -> None:
    tick(SENSOR, instance, warehouse)
    assert open_incidents(warehouse) == []


def test_a_missing_daily_partition_is_stale_however_recent_the_others(
    database_url: str, warehouse: PostgresWarehouse, instance: DagsterInstance
) -> None:
    due = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)).date()
    _materialise_all(instance, skip_day=due)

    tick(SENSOR, instance, warehouse)

    assert [i["incident_key"] for i in open_incidents(warehouse)] == [
        "freshness:artist_momentum",
        "freshness:daily_artist_metrics",
    ]
    subjects = [a[2] for a in _alerts(database_url)]
    assert f"Stale data: daily_artist_metrics has no partition for {due}" in subjects
