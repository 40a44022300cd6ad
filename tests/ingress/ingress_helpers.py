"""Signing and posting helpers for the ingress tests, with a signer that is not ours.

Requests are signed by hand per the Standard Webhooks spec (HMAC-SHA256 over
``{id}.{timestamp}.{body}``, base64, ``v1,`` prefix) or by the ``svix`` package, never by the
``standardwebhooks`` library the ingress verifies with, so a shared bug cannot hide.
"""

import base64
import json
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from tests.support.webhooks import signed_headers

N8N_OLD = "whsec_" + base64.b64encode(b"n8n-old-secret-32-bytes-long!!!!").decode()
N8N_NEW = "whsec_" + base64.b64encode(b"n8n-new-secret-32-bytes-long!!!!").decode()
SCRAPER = "whsec_" + base64.b64encode(b"scraper-secret-32-bytes-long!!!!").decode()
STRANGER = "whsec_" + base64.b64encode(b"somebody-else-entirely-32-bytes!").decode()


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def observation(**overrides: Any) -> dict[str, Any]:
    row = {
        "platform": "spotify",
        "external_id": "4Z8W4fKeB5YxbusRsdQVPb",
        "artist_name": "Nova Lights",
        "metric": "followers",
        "value": 12345,
        "observed_at": "2026-11-21T10:00:00Z",
    }
    return row | overrides


@dataclass
class IngressUnderTest:
    base_url: str
    database_url: str
    client: httpx.Client

    def post(
        self,
        path: str,
        payload: Any = None,
        *,
        body: bytes | None = None,
        secret: str = N8N_NEW,
        headers: dict[str, str] | None = None,
        **signing: Any,
    ) -> httpx.Response:
        content = body if body is not None else encode(payload)
        sent = signed_headers(secret, content, **signing) if secret else {}
        return self.client.post(path, content=content, headers=sent | (headers or {}))

    def rows(self) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(
                "SELECT event_id, source, event_type, webhook_id, payload, status"
                " FROM promoteros.webhook_events ORDER BY event_id"
            ).fetchall()
