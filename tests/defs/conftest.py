"""Assets against a real warehouse and the simulator on loopback."""

from collections.abc import Iterator

import httpx
import pytest
from dagster import DagsterInstance, instance_for_test

from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.platforms.resources import (
    BandsintownResource,
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.simulator import SimulatorServer, World, create_app, generate_world
from tests.support.inbox import Inbox

# Quick retries and a generous rate limit keep tests fast; the behaviour is the same.
FAST = {
    "requests_per_second": 1000.0,
    "burst": 1000,
    "retry_wait_initial_seconds": 0.01,
    "retry_wait_max_seconds": 0.05,
    "retry_jitter_seconds": 0.01,
    "max_attempts": 3,
    "breaker_fail_max": 3,
}


@pytest.fixture(scope="session")
def small_world() -> World:
    return generate_world(seed=11, n_artists=200)


@pytest.fixture
def simulator(small_world: World) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(small_world)) as server:
        yield server


@pytest.fixture
def sim_control(simulator: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=simulator.base_url) as client:
        yield client


@pytest.fixture
def resources(monkeypatch, simulator: SimulatorServer, database_url: str) -> dict[str, object]:
    monkeypatch.setenv("PROMOTEROS_SIMULATOR_URL", simulator.base_url)
    return {
        "warehouse": PostgresWarehouse(database_url=database_url),
        "spotify": SpotifyResource.from_env(**FAST),
        "youtube": YouTubeResource.from_env(**FAST),
        "tiktok": TikTokResource.from_env(**FAST),
        "instagram": InstagramResource.from_env(**FAST),
        "bandsintown": BandsintownResource.from_env(**FAST),
        "influxdb": InfluxMirror(),
    }


@pytest.fixture
def inbox(warehouse: PostgresWarehouse) -> Inbox:
    return Inbox(warehouse)


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    """A throwaway instance with run retries as in our dagster.yaml (max 2)."""
    with instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 2}}) as inst:
        yield inst
