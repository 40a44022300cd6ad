"""The ingress on a loopback port against a fresh database (helpers: ``ingress_helpers``)."""

from collections.abc import Iterator

import httpx
import pytest
from ingress_helpers import N8N_NEW, N8N_OLD, SCRAPER, IngressUnderTest

from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer


@pytest.fixture
def settings(database_url: str) -> IngressSettings:
    return IngressSettings(database_url=database_url, max_body=64 * 1024).with_secrets(
        {"n8n": f"{N8N_OLD}, {N8N_NEW}", "scraper": SCRAPER}
    )


@pytest.fixture
def ingress(settings: IngressSettings) -> Iterator[IngressUnderTest]:
    with (
        LoopbackServer(create_app(settings)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        yield IngressUnderTest(server.base_url, settings.database_url, client)
