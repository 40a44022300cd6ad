"""The n8n templates against a real n8n, a real ingress and real PostgreSQL (``-m n8n``).

One n8n per session (its own throw-away database on the test server), with every template
imported as a user would, changing only what a user changes: the ingress URL in *Send to
PromoterOS*, and the credentials, made here with keys generated for this run.
"""

import base64
import json
import secrets
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lossy_proxy import LossyProxy
from n8n_instance import N8n, installed_home

from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime import database
from promoteros_pipelines.runtime.net import free_loopback_port

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "integrations" / "n8n" / "templates"
TEMPLATE_INGRESS = "http://127.0.0.1:8787"  # what a user replaces with their ingress's URL
# templates whose trigger must listen: forms, webhooks, and the scraper's sub-workflow
PUBLISHED = {
    "promoterosScraper",
    "promoterosWatch",
    "promoterosReport",
    "promoterosApproval",
    "promoterosVerify",
}


@dataclass(frozen=True)
class Key:
    """A signing key as n8n's Crypto credential holds it (text) and as PromoterOS does."""

    text: str

    @property
    def whsec(self) -> str:
        return "whsec_" + base64.b64encode(self.text.encode()).decode()

    @classmethod
    def new(cls) -> "Key":
        return cls(secrets.token_urlsafe(32))


@dataclass(frozen=True)
class Keys:
    inbound: Key  # n8n -> ingress (PROMOTEROS_WEBHOOK_SECRETS_N8N)
    outbound: Key  # outbox -> n8n (PROMOTEROS_OUTBOUND_SECRET)
    slack: str  # the Slack app's signing secret


@dataclass
class Stack:
    n8n: N8n
    ingress_url: str
    warehouse: PostgresWarehouse
    lossy: LossyProxy
    keys: Keys
    deployed_port: int  # where the artist-watch copy posts: the deployed-stack test's ingress


def template(name: str) -> dict[str, Any]:
    return json.loads((TEMPLATES / name).read_text())


def pointed_at(workflow: dict[str, Any], ingress_url: str) -> dict[str, Any]:
    """The template with *Send to PromoterOS* posting to ``ingress_url``, as a user sets it."""
    for node in workflow["nodes"]:
        if node["name"] == "Send to PromoterOS":
            url = node["parameters"]["url"]
            assert url.startswith(TEMPLATE_INGRESS), url
            node["parameters"]["url"] = ingress_url + url.removeprefix(TEMPLATE_INGRESS)
    return workflow


@pytest.fixture(scope="session")
def n8n_home() -> Path:
    home = installed_home()
    if home is None:
        pytest.skip("n8n is not installed here: `make test-n8n` installs it and runs these tests")
    return home


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(inbound=Key.new(), outbound=Key.new(), slack=secrets.token_hex(16))


@pytest.fixture(scope="session")
def stack(
    n8n_home: Path, server_url: str, template_database: str, keys: Keys, tmp_path_factory
) -> Iterator[Stack]:
    with ExitStack() as running:
        warehouse_url = running.enter_context(
            database.throwaway_database(server_url, "n8n_wh", template_database)
        )
        n8n_url = running.enter_context(database.throwaway_database(server_url, "n8n_own"))
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
                crypto_credential("slackSigningKey", "Slack signing secret", Key(keys.slack)),
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


DEPLOYED_WATCH_FORM = "promoteros-watch-deployed"


def second_copy(workflow: dict[str, Any], workflow_id: str, form_path: str) -> dict[str, Any]:
    """The template imported a second time, as a user would for a second ingress: its own
    workflow id and form path (n8n serves one form per path)."""
    workflow["id"] = workflow_id
    for node in workflow["nodes"]:
        if node["type"] == "n8n-nodes-base.formTrigger":
            node["parameters"]["options"]["path"] = form_path
            node["webhookId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, form_path))
    return workflow


def crypto_credential(credential_id: str, name: str, key: Key) -> dict[str, Any]:
    """An n8n Crypto credential holding ``key`` as its Hmac Secret (ids as in the templates)."""
    return {"id": credential_id, "name": name, "type": "crypto", "data": {"hmacSecret": key.text}}


# A scraper workflow as a user would have one: it produces observations (one item each, with
# a column the ingress does not know) and hands them to the scraper template.
OBSERVATIONS = 6_001
SCRAPER_CALLER = {
    "id": "testScraperCaller",
    "name": "test: a scraper calling the PromoterOS scraper template",
    "settings": {"executionOrder": "v1"},
    "nodes": [
        {
            "id": "c0a80001-0000-4000-8000-000000000001",
            "name": "Run",
            "type": "n8n-nodes-base.manualTrigger",
            "typeVersion": 1,
            "position": [0, 0],
            "parameters": {},
        },
        {
            "id": "c0a80001-0000-4000-8000-000000000002",
            "name": "Scrape",
            "type": "n8n-nodes-base.code",
            "typeVersion": 2,
            "position": [220, 0],
            "parameters": {
                "jsCode": f"return Array.from({{ length: {OBSERVATIONS} }}, (_, i) => ({{ json: {{"
                " platform: 'tiktok', external_id: `tt-${i % 7}`, artist_name: `Artist ${i % 7}`,"
                " metric: 'followers', value: i,"
                " observed_at: new Date(Date.UTC(2026, 10, 1) + i * 60000).toISOString(),"
                " scraper_run: 'nightly' } }));"
            },
        },
        {
            "id": "c0a80001-0000-4000-8000-000000000003",
            "name": "PromoterOS scraper metrics",
            "type": "n8n-nodes-base.executeWorkflow",
            "typeVersion": 1.2,
            "position": [440, 0],
            "parameters": {
                "source": "database",
                "workflowId": {"__rl": True, "value": "promoterosScraper", "mode": "id"},
                "mode": "once",
                "options": {},
            },
        },
    ],
    "connections": {
        "Run": {"main": [[{"node": "Scrape", "type": "main", "index": 0}]]},
        "Scrape": {"main": [[{"node": "PromoterOS scraper metrics", "type": "main", "index": 0}]]},
    },
}


def expected_observation(i: int) -> dict[str, Any]:
    """What the ingress stores for the caller's observation ``i``: its extra column gone, the
    payload as validated (``value`` a float, ``observed_at`` in pydantic's JSON form)."""
    minute = f"{i // 60 % 24:02d}:{i % 60:02d}"
    day = 1 + i // 1440
    return {
        "platform": "tiktok",
        "external_id": f"tt-{i % 7}",
        "artist_name": f"Artist {i % 7}",
        "metric": "followers",
        "value": float(i),
        "observed_at": f"2026-11-{day:02d}T{minute}:00Z",
    }
