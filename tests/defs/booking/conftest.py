"""The booking tests' world (``booking_support``)."""

import pytest
from booking_support import World, build_world

from promoteros_pipelines.resources.warehouse import PostgresWarehouse


@pytest.fixture
def world(warehouse: PostgresWarehouse) -> World:
    return build_world(warehouse)
