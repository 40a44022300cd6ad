"""One small world and one loopback simulator per session; faults and clock reset per test."""

from collections.abc import Iterator

import httpx
import pytest

from promoteros_pipelines.simulator import SimulatorServer, World, create_app, generate_world


@pytest.fixture(scope="session")
def world() -> World:
    return generate_world(seed=11, n_artists=400)


@pytest.fixture(scope="session")
def server(world: World) -> Iterator[SimulatorServer]:
    with SimulatorServer(create_app(world)) as running:
        yield running


@pytest.fixture
def sim(server: SimulatorServer, world: World) -> Iterator[httpx.Client]:
    """A plain HTTP client on the simulator, with faults cleared and the clock at the present."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        client.delete("/_control/faults")
        client.post("/_control/clock", json={"now": world.present.isoformat()})
        yield client
        client.delete("/_control/faults")
