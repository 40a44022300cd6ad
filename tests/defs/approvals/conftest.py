"""The approvals tests' world: ``people`` is the warehouse with an organisation and its staff."""

import pytest
from approvals_support import add_people

from promoteros_pipelines.resources.warehouse import PostgresWarehouse


@pytest.fixture
def people(warehouse: PostgresWarehouse) -> PostgresWarehouse:
    return add_people(warehouse)
