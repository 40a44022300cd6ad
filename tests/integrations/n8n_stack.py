"""What the n8n tests share: keys, the templates as a user sets them up, a scraper that
calls the scraper template, and the observations it must store."""

import base64
import json
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lossy_proxy import LossyProxy
from n8n_instance import N8n

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

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

    text: str = field(repr=False)  # generated per run; kept out of failure reports all the same

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
    slack: Key  # the Slack app's signing secret


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
