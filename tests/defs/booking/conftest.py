"""The booking tests' world (``booking_support``)."""

import pytest
from booking_support import World, build_world

from promoteros_pipelines.resources.warehouse import PostgresWarehouse


@pytest.fixture
def world(warehouse: PostgresWarehouse) -> World:
    return build_world(warehouse)


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch) -> None:
    """Offer PDFs go under PROMOTEROS_HOME: a test's own, never the checkout's .promoteros."""
    monkeypatch.setenv("PROMOTEROS_HOME", str(tmp_path / "home"))
