"""The simulator on loopback for the platform clients (httpx's ASGI transport is async-only)."""

from collections.abc import Iterator

import httpx
import pytest

from promoteros_pipelines.resources.platforms import HttpPolicy
from promoteros_pipelines.simulator import SimulatorServer, World, create_app, generate_world

# Quick retries and a generous bucket keep the suite fast; behaviour is the same.
FAST = HttpPolicy(
    timeout_seconds=5,
    max_attempts=4,
    wait_initial_seconds=0.01,
    wait_max_seconds=0.05,
    wait_jitter_seconds=0.01,
    requests_per_second=1000,
    burst=1000,
    breaker_fail_max=3,
)


@pytest.fixture
def fast() -> HttpPolicy:
    return FAST


@pytest.fixture(scope="session")
def platform_world() -> World:
    return generate_world(seed=23, n_artists=300)


@pytest.fixture(scope="session")
def platform_server(platform_world: World) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(platform_world)) as running:
        yield running


@pytest.fixture
def control(platform_server: SimulatorServer, platform_world: World) -> Iterator[httpx.Client]:
    """The simulator's control API, with faults cleared and the clock reset around each test."""
    with httpx.Client(base_url=platform_server.base_url) as client:
        client.delete("/_control/faults")
        client.post("/_control/clock", json={"now": platform_world.present.isoformat()})
        yield client
        client.delete("/_control/faults")
