"""Sensors against a real PostgreSQL inbox and a real (temporary) Dagster instance.

Events are inserted straight into ``webhook_events``; the HTTP side is the ingress tests' job.
"""

from collections.abc import Iterator

import pytest
from dagster import DagsterInstance, instance_for_test
from inbox_support import Inbox

from promoteros_pipelines.resources.warehouse import PostgresWarehouse


@pytest.fixture
def inbox(warehouse: PostgresWarehouse) -> Inbox:
    return Inbox(warehouse)


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    """A throwaway instance with run retries as in our dagster.yaml (max 2)."""
    with instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 2}}) as inst:
        yield inst
