"""The n8n templates against a real n8n, a real ingress and real PostgreSQL (``-m n8n``).

One n8n per session (its own throw-away database on the test server), with every template
imported as a user would, changing only what a user changes: the ingress URL in *Send to
PromoterOS*, and the credentials, made here with keys generated for this run.
"""

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from lossy_proxy import LossyProxy
from n8n_instance import N8n, installed_home
from n8n_stack import (
    DEPLOYED_WATCH_FORM,
    PUBLISHED,
    SCRAPER_CALLER,
    TEMPLATES,
    Key,
    Keys,
    Stack,
    crypto_credential,
    pointed_at,
    second_copy,
    template,
)

from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.net import free_loopback_port
from tests.support.databases import throwaway_database


@pytest.fixture(scope="session")
def n8n_home() -> Path:
    home = installed_home()
    if home is None:
        pytest.skip("n8n is not installed here: `make test-n8n` installs it and runs these tests")
    return home


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(inbound=Key.new(), outbound=Key.new(), slack=Key.new())


@pytest.fixture(scope="session")
def stack(
    n8n_home: Path, server_url: str, template_database: str, keys: Keys, tmp_path_factory
) -> Iterator[Stack]:
    with ExitStack() as running:
        warehouse_url = running.enter_context(
            throwaway_database(server_url, "n8n_wh", template_database)
        )
        n8n_url = running.enter_context(throwaway_database(server_url, "n8n_own"))
        settings = IngressSettings(database_url=warehouse_url).with_secrets(
            {"n8n": keys.inbound.whsec}
        )
        ingress = running.enter_context(LoopbackServer(create_app(settings)))
        lossy = LossyProxy(ingress.base_url)
        proxy = running.enter_context(LoopbackServer(lossy.app()))

        n8n = N8n(n8n_home, tmp_path_factory.mktemp("n8n"), n8n_url)
        n8n.import_credentials(
            [
                crypto_credential("promoterosSignKey", "PromoterOS signing key", keys.inbound),
                crypto_credential("promoterosOutKey", "PromoterOS outbound key", keys.outbound),
                crypto_credential("slackSigningKey", "Slack signing secret", keys.slack),
            ]
        )
        # the scraper's posts go through the proxy that loses first answers
        targets = {"promoterosScraper": proxy.base_url}
        templates = [template(path.name) for path in sorted(TEMPLATES.glob("*.json"))]
        deployed_port = free_loopback_port()
        deployed_watch = second_copy(
            pointed_at(template("artist-watch.json"), f"http://127.0.0.1:{deployed_port}"),
            "promoterosWatchCopy",
            DEPLOYED_WATCH_FORM,
        )
        n8n.import_workflows(
            [pointed_at(w, targets.get(w["id"], ingress.base_url)) for w in templates]
            + [SCRAPER_CALLER, deployed_watch]
        )
        n8n.publish(*sorted(PUBLISHED | {deployed_watch["id"]}))
        running.enter_context(n8n.serve(ready_path="/form/promoteros-watch"))
        warehouse = PostgresWarehouse(database_url=warehouse_url)
        yield Stack(n8n, ingress.base_url, warehouse, lossy, keys, deployed_port)
