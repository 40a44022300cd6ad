"""system_health degrades and recovers with one alert each; pipeline_kpis from a real Dagster
instance with seeded runs."""

import socket
import time

import psycopg
import pytest
from dagster import DagsterInstance, job, materialize, op
from dagster._daemon.types import DaemonHeartbeat

from promoteros_pipelines.defs.operations.assets import pipeline_kpis, system_health
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.platforms.resources import (
    BandsintownResource,
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.support.smtp import SmtpServer


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _heartbeat(instance: DagsterInstance) -> None:
    instance.add_daemon_heartbeat(DaemonHeartbeat(time.time(), "SCHEDULER", "test-daemon", None))


def _health(instance, warehouse: PostgresWarehouse, smtp_url: str, tmp_path) -> dict:
    resources = {
        "warehouse": warehouse,
        "mailer": Mailer(smtp_url=smtp_url, outbox_dir=str(tmp_path)),
        "influxdb": InfluxMirror(),
        "spotify": SpotifyResource.from_env(),
        "youtube": YouTubeResource.from_env(),
        "tiktok": TikTokResource.from_env(),
        "instagram": InstagramResource.from_env(),
        "bandsintown": BandsintownResource.from_env(),
    }
    result = materialize([system_health], resources=resources, instance=instance)
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _alerts(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT severity, subject FROM promoteros.alerts ORDER BY alert_id"
        ).fetchall()


def test_health_degrades_and_recovers_with_one_alert_each(
    monkeypatch, tmp_path, database_url, warehouse, instance
) -> None:
    for name in ("PROMOTEROS_SIMULATOR_URL", "PROMOTEROS_INGRESS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMOTEROS_HOME", str(tmp_path))
    _heartbeat(instance)
    down_url = f"smtp://127.0.0.1:{_closed_port()}"

    first = _health(instance, warehouse, down_url, tmp_path)
    second = _health(instance, warehouse, down_url, tmp_path)

    assert first["status"] == "degraded" and first["down"] == "smtp"
    assert 0 < first["score"] < 100 and second["score"] == first["score"]
    assert _alerts(database_url) == [("warning", "System health: smtp is down")]
    with SmtpServer() as smtp:
        third = _health(instance, warehouse, smtp.url, tmp_path)
    assert third["status"] == "healthy" and third["score"] == 100
    alerts = _alerts(database_url)
    assert len(alerts) == 2 and alerts[1][0] == "info"
    assert alerts[1][1].startswith("Recovered: health:smtp")
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT score, status FROM promoteros.system_health ORDER BY checked_at"
        ).fetchall()
    assert [r[1] for r in rows] == ["degraded", "degraded", "healthy"]


def test_no_daemon_heartbeat_and_no_database_are_reported(
    monkeypatch, tmp_path, database_url, warehouse, instance
) -> None:
    monkeypatch.delenv("PROMOTEROS_SIMULATOR_URL", raising=False)
    metadata = _health(instance, warehouse, "", tmp_path)
    assert metadata["down"] == "dagster_daemon"
    assert metadata["components"]["database"]["up"] is True
    assert metadata["components"]["smtp"] == {"up": None}


@op
def fine() -> int:
    return 1


@op
def broken() -> int:
    raise ValueError("the platform sent HTML")


@job
def steady_job() -> None:
    fine()


@job
def flaky_job() -> None:
    broken()


def test_pipeline_kpis_from_seeded_runs(database_url, warehouse, instance) -> None:
    for _ in range(3):
        assert steady_job.execute_in_process(instance=instance).success
    assert not flaky_job.execute_in_process(instance=instance, raise_on_error=False).success

    result = materialize([pipeline_kpis], resources={"warehouse": warehouse}, instance=instance)

    assert result.success
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT job_name, runs, succeeded, failed, success_rate, failures_by_error"
            " FROM promoteros.pipeline_kpis ORDER BY job_name"
        ).fetchall()
    by_job = {r[0]: r[1:] for r in rows}
    assert by_job["steady_job"][:4] == (3, 3, 0, 1.0)
    assert by_job["flaky_job"] == (1, 0, 1, 0.0, {"ValueError": 1})
    alerts = _alerts(database_url)
    assert alerts == [
        (
            "warning",
            "Pipeline below target: flaky_job succeeded in 0.0 % of its runs in 24 h (target 99 %)",
        )
    ]


@pytest.mark.parametrize("scores", [(True, True), (False, True)])
def test_score_leaves_out_what_is_not_configured(scores) -> None:
    from promoteros_pipelines.domain.quality import health_score

    database_up, smtp_up = scores
    score = health_score(
        {"database": database_up, "smtp": smtp_up, "influxdb": None}, {"database": 40, "smtp": 5}
    )
    assert score == (100 if database_up else round(100 * 5 / 45))


def test_a_job_back_on_target_closes_its_incident_with_a_note(database_url, warehouse, instance):
    assert not flaky_job.execute_in_process(instance=instance, raise_on_error=False).success
    materialize([pipeline_kpis], resources={"warehouse": warehouse}, instance=instance)
    for run in instance.get_runs():
        if run.job_name == "flaky_job":
            instance.delete_run(run.run_id)  # its failures left the 24 h window

    materialize([pipeline_kpis], resources={"warehouse": warehouse}, instance=instance)

    alerts = _alerts(database_url)
    assert [a[0] for a in alerts] == ["warning", "info"]
    assert alerts[1][1].startswith("Recovered: kpi:flaky_job")
