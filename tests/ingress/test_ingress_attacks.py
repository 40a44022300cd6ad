"""The hostile-sender findings of issue #13, kept as regressions: each attack is refused (or
harmless) and leaves the inbox as it should be."""

import base64
import hashlib
import hmac
import time

import httpx
import pytest
from ingress_helpers import N8N_NEW, SCRAPER, IngressUnderTest, encode, observation
from starlette.routing import Route

from promoteros_pipelines.events import EVENT_TYPES
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from tests.support.webhooks import signed_headers

UI = "whsec_" + base64.b64encode(b"ui-secret-with-32-bytes-exactly!").decode()
TRIGGER = "/webhooks/n8n/pipeline.trigger"


@pytest.mark.parametrize(
    "key",
    [
        "dagster/priority",
        "dagster/max_retries",
        ".dagster/grpc_info",
        "promoteros/platform",
        "promoteros/event_ids",
        "bad key with spaces!",
        "n8n/",
        "n8n/has space",
        "N8N/upper-prefix",
        "n8n/nested/key",
        "n8n/" + "x" * 64,
    ],
)
def test_trigger_tags_outside_the_n8n_prefix_are_422_and_not_stored(
    ingress: IngressUnderTest, key: str
) -> None:
    response = ingress.post(TRIGGER, {"assets": ["viral_signals"], "tags": {key: "1"}})

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "schema_violation"
    assert any(item["field"].startswith("tags") for item in response.json()["detail"])
    assert ingress.rows() == []


def test_trigger_tag_values_may_not_carry_control_characters(ingress: IngressUnderTest) -> None:
    response = ingress.post(
        TRIGGER, {"assets": ["viral_signals"], "tags": {"n8n/workflow": "a\nb"}}
    )

    assert response.status_code == 422
    assert ingress.rows() == []


def test_trigger_tags_under_n8n_are_stored(ingress: IngressUnderTest) -> None:
    tags = {"n8n/workflow": "Weekly refresh", "n8n/execution-id": "1234", "n8n/a.b_c": "x"}
    response = ingress.post(TRIGGER, {"assets": ["viral_signals"], "tags": tags})

    assert response.status_code == 202, response.text
    assert ingress.rows()[0][4]["tags"] == tags


def test_the_same_webhook_id_from_another_source_is_another_event(
    settings: IngressSettings,
) -> None:
    """n8n's ids are predictable; the UI's event with the same id must still be stored, and
    its answer must not reveal n8n's event id."""
    with (
        LoopbackServer(create_app(settings.with_secrets({"ui": UI}))) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        ingress = IngressUnderTest(server.base_url, settings.database_url, client)
        shared_id = "n8n-wf1-exec42-0"
        n8n = ingress.post(
            "/webhooks/n8n/artist.watch", {"artist_name": "Nova Lights"}, webhook_id=shared_id
        )
        ui = ingress.post(
            "/webhooks/ui/artist.watch",
            {"artist_name": "Paper Moons"},
            secret=UI,
            webhook_id=shared_id,
        )
        ui_again = ingress.post(
            "/webhooks/ui/artist.watch",
            {"artist_name": "Paper Moons"},
            secret=UI,
            webhook_id=shared_id,
        )
        rows = ingress.rows()

    assert n8n.status_code == 202 and ui.status_code == 202
    assert ui.json()["event_id"] != n8n.json()["event_id"]
    assert ui_again.status_code == 200
    assert ui_again.json() == {"event_id": ui.json()["event_id"], "status": "duplicate"}
    assert [(row[1], row[3], row[4]["artist_name"]) for row in rows] == [
        ("n8n", shared_id, "Nova Lights"),
        ("ui", shared_id, "Paper Moons"),
    ]


@pytest.mark.parametrize("stamp", ["nan", "NaN", "inf", "-inf", "1e9", "1700000000.5", "+17"])
def test_non_numeric_or_non_finite_timestamps_are_refused_by_our_check(
    ingress: IngressUnderTest, stamp: str
) -> None:
    """A signature made over the odd timestamp too: only our own check can refuse it."""
    body = encode({"observations": [observation()]})
    headers = signed_headers(SCRAPER, body)
    key = base64.b64decode(SCRAPER.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{stamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    headers |= {"webhook-timestamp": stamp, "webhook-signature": f"v1,{signature}"}

    response = ingress.client.post(
        "/webhooks/scraper/scraper.metrics", content=body, headers=headers
    )

    assert response.status_code == 401
    assert response.json()["detail"] == "webhook-timestamp must be Unix seconds (digits only)"
    assert ingress.rows() == []


def test_unsigned_bad_utf8_learns_only_401(ingress: IngressUnderTest) -> None:
    """The signature is checked before the body is decoded: no hint how bodies are parsed."""
    body = b'{"observations": "\xff\xfe"}'
    forged = {
        "webhook-id": "msg_forged",
        "webhook-timestamp": str(int(time.time())),
        "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode(),
    }

    unsigned = ingress.client.post("/webhooks/n8n/scraper.metrics", content=body)
    badly_signed = ingress.client.post(
        "/webhooks/n8n/scraper.metrics", content=body, headers=forged
    )
    signed = ingress.post("/webhooks/n8n/scraper.metrics", body=body, secret=N8N_NEW)

    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "missing_signature")
    assert (badly_signed.status_code, badly_signed.json()["error"]) == (401, "invalid_signature")
    assert (signed.status_code, signed.json()["error"]) == (400, "invalid_json")
    assert ingress.rows() == []


def test_openapi_documents_every_route(
    ingress: IngressUnderTest, settings: IngressSettings
) -> None:
    paths = ingress.client.get("/openapi.json").json()["paths"]
    routes = [route for route in create_app(settings).starlette.routes if isinstance(route, Route)]

    for route in routes:
        if route.path == "/webhooks/{source}/{event_type}":
            continue  # documented once per event type, below
        assert route.path in paths, f"{route.path} is not in /openapi.json"
        assert {m.lower() for m in route.methods - {"HEAD"}} <= set(paths[route.path])
    assert {path for path in paths if path.startswith("/webhooks/")} == {
        f"/webhooks/{{source}}/{event_type}" for event_type in EVENT_TYPES
    }
