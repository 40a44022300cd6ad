"""system_health reports each platform's circuit breaker: a real client against the simulator
with the platform down opens its breaker (recorded in platform_breakers by the client itself),
system_health shows that component down with one alert; when the platform is back and the
breaker closes, the component is up again and the incident closes with a note."""

from collections.abc import Iterator

import httpx
import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from promoteros_pipelines.defs.operations.assets import system_health
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.platforms import HttpPolicy, TikTokClient
from promoteros_pipelines.resources.platforms.resources import (
    BandsintownResource,
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.simulator import SimulatorServer, create_app, generate_world

POLICY = HttpPolicy(
    timeout_seconds=5,
    max_attempts=3,
    wait_initial_seconds=0.01,
    wait_max_seconds=0.02,
    wait_jitter_seconds=0.0,
    requests_per_second=1000,
    burst=1000,
    breaker_fail_max=2,
    breaker_reset_seconds=0.2,
)

BREAKER_ALERTS = (
    "SELECT subject FROM promoteros.alerts WHERE subject LIKE '%breaker_tiktok%' ORDER BY alert_id"
)


@pytest.fixture(scope="module")
def world():
    return generate_world(seed=5, n_artists=30)


@pytest.fixture
def server(world) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(world)) as running:
        yield running


def _components(instance: DagsterInstance, warehouse: PostgresWarehouse, tmp_path) -> dict:
    resources = {
        "warehouse": warehouse,
        "mailer": Mailer(outbox_dir=str(tmp_path)),
        "influxdb": InfluxMirror(),
        "spotify": SpotifyResource.from_env(),
        "youtube": YouTubeResource.from_env(),
        "tiktok": TikTokResource.from_env(),
        "instagram": InstagramResource.from_env(),
        "bandsintown": BandsintownResource.from_env(),
    }
    result = materialize([system_health], resources=resources, instance=instance)
    [event] = result.get_asset_materialization_events()
    return event.materialization.metadata["components"].value  # type: ignore[return-value]


def test_an_open_breaker_is_a_component_down_until_it_closes(
    monkeypatch, tmp_path, database_url, warehouse, instance, server, world
) -> None:
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    control = httpx.Client(base_url=server.base_url)  # type: ignore[attr-defined]
    control.post("/_control/clock", json={"now": world.present.isoformat()})
    usernames = (
        world.platform_ids.filter(pl.col("platform") == "tiktok")["external_id"].head(5).to_list()
    )
    tiktok = TikTokClient(server.url("tiktok"), "k", "s", policy=POLICY, max_concurrency=1)
    control.post("/_control/faults", json={"platform": "tiktok", "mode": "down"})

    assert tiktok.fetch_metrics(usernames).fatal is not None

    components = _components(instance, warehouse, tmp_path)
    assert components["breaker_tiktok"]["up"] is False
    assert components["breaker_tiktok"]["state"] == "open"
    with warehouse.connect() as conn:
        subjects = [r[0] for r in conn.execute(BREAKER_ALERTS)]
    assert subjects == ["System health: breaker_tiktok is down"]

    control.delete("/_control/faults")
    tiktok.session.breaker.half_open()  # what the reset timeout does on the next call
    assert tiktok.fetch_metrics(usernames).failures == []

    components = _components(instance, warehouse, tmp_path)
    assert components["breaker_tiktok"]["up"] is True
    assert components["breaker_tiktok"]["state"] == "closed"
    with warehouse.connect() as conn:
        subjects = [r[0] for r in conn.execute(BREAKER_ALERTS)]
    assert subjects[0] == "System health: breaker_tiktok is down"
    assert subjects[1].startswith("Recovered: health:breaker_tiktok") and len(subjects) == 2
    tiktok.close()
