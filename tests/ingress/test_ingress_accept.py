"""Accepted webhooks: durable before answered, replays answered with the original id."""

import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from ingress_helpers import (
    N8N_NEW,
    N8N_OLD,
    SCRAPER,
    STRANGER,
    IngressUnderTest,
    encode,
    observation,
)
from svix.webhooks import Webhook as SvixWebhook

from promoteros_pipelines.events import ScraperMetrics, parse_event
from tests.support.webhooks import hand_signature, signed_headers

METRICS = "/webhooks/n8n/scraper.metrics"


def test_accepted_event_is_committed_and_answered_202(ingress: IngressUnderTest) -> None:
    response = ingress.post(METRICS, {"observations": [observation(), observation(value=7.5)]})

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "accepted"
    [(event_id, source, event_type, _, payload, status)] = ingress.rows()
    assert body["event_id"] == event_id
    assert (source, event_type, status) == ("n8n", "scraper.metrics", "pending")
    # the stored payload is what the sensors read back with the same model
    event = parse_event(event_type, payload)
    assert isinstance(event, ScraperMetrics)
    assert [o.value for o in event.observations] == [12345.0, 7.5]
    assert event.observations[0].observed_at == datetime(2026, 11, 21, 10, tzinfo=UTC)


def test_svix_signed_request_is_accepted(ingress: IngressUnderTest) -> None:
    body = encode({"artist_name": "Nova Lights", "platform_ids": {"spotify": "4Z8W4f"}})
    webhook_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(tz=UTC)
    signature = SvixWebhook(SCRAPER).sign(webhook_id, now, body.decode())
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }

    response = ingress.client.post("/webhooks/scraper/artist.watch", content=body, headers=headers)

    assert response.status_code == 202, response.text
    [row] = ingress.rows()
    assert row[3] == webhook_id
    assert row[4]["artist_name"] == "Nova Lights"
    assert row[4]["platform_ids"] == {"spotify": "4Z8W4f"}


def test_every_secret_of_a_source_verifies_during_rotation(ingress: IngressUnderTest) -> None:
    payload = {"observations": [observation()]}

    assert ingress.post(METRICS, payload, secret=N8N_OLD).status_code == 202
    assert ingress.post(METRICS, payload, secret=N8N_NEW).status_code == 202
    # a sender mid-rotation may send both signatures, space-separated
    body = encode(payload)
    headers = signed_headers(STRANGER, body)
    stamp = int(headers["webhook-timestamp"])
    good = hand_signature(N8N_NEW, headers["webhook-id"], stamp, body)
    headers["webhook-signature"] = f"{headers['webhook-signature']} {good}"
    assert ingress.client.post(METRICS, content=body, headers=headers).status_code == 202
    # another source's secret is not this source's
    assert ingress.post(METRICS, payload, secret=SCRAPER).status_code == 401
    assert len(ingress.rows()) == 3


def test_replayed_webhook_id_answers_200_with_the_original_id(ingress: IngressUnderTest) -> None:
    body = encode({"observations": [observation()]})
    headers = signed_headers(N8N_NEW, body)

    first = ingress.client.post(METRICS, content=body, headers=headers)
    again = ingress.client.post(METRICS, content=body, headers=headers)
    # re-signed later with the same id (n8n's retry): still the same event
    resigned = signed_headers(N8N_NEW, body, webhook_id=headers["webhook-id"])
    third = ingress.client.post(METRICS, content=body, headers=resigned)

    assert first.status_code == 202
    assert again.status_code == 200
    assert third.status_code == 200
    assert again.json() == {"event_id": first.json()["event_id"], "status": "duplicate"}
    assert third.json()["event_id"] == first.json()["event_id"]
    assert len(ingress.rows()) == 1


def test_concurrent_duplicates_store_one_row(ingress: IngressUnderTest) -> None:
    body = encode({"observations": [observation()]})
    headers = signed_headers(N8N_NEW, body)
    start = threading.Barrier(16)

    def deliver(_: int) -> httpx.Response:
        with httpx.Client(base_url=ingress.base_url, timeout=30) as client:
            start.wait()
            return client.post(METRICS, content=body, headers=headers)

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(deliver, range(16)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 15 + [202]
    assert len({r.json()["event_id"] for r in responses}) == 1
    assert len(ingress.rows()) == 1


def test_many_concurrent_distinct_events_each_get_their_own_row(
    ingress: IngressUnderTest,
) -> None:
    def deliver(values: range) -> list[int]:
        with httpx.Client(base_url=ingress.base_url, timeout=30) as client:
            event_ids = []
            for n in values:
                body = encode({"observations": [observation(value=n)]})
                headers = signed_headers(N8N_NEW, body)
                response = client.post(METRICS, content=body, headers=headers)
                assert response.status_code == 202
                event_ids.append(response.json()["event_id"])
            return event_ids

    with ThreadPoolExecutor(8) as pool:
        shares = pool.map(deliver, [range(n, 200, 8) for n in range(8)])
        event_ids = [event_id for share in shares for event_id in share]

    rows = ingress.rows()
    assert sorted(event_ids) == [row[0] for row in rows]
    assert sorted(row[4]["observations"][0]["value"] for row in rows) == list(range(200))


def test_a_payload_postgres_refuses_fails_alone(ingress: IngressUnderTest) -> None:
    """A NUL in a string is valid JSON but not valid jsonb: that event gets 422, not its batch."""
    poisoned = {"observations": [observation(artist_name="Nova\u0000Lights")]}

    def deliver(n: int) -> int:
        with httpx.Client(base_url=ingress.base_url, timeout=30) as client:
            payload = poisoned if n == 0 else {"observations": [observation(value=n)]}
            body = encode(payload)
            return client.post(
                METRICS, content=body, headers=signed_headers(N8N_NEW, body)
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(deliver, range(24)))

    assert statuses[0] == 422
    assert statuses[1:] == [202] * 23
    assert len(ingress.rows()) == 23


def test_health_metrics_and_openapi(ingress: IngressUnderTest) -> None:
    ingress.post(METRICS, {"observations": [observation()]})
    ingress.post(METRICS, {"observations": [observation()]}, secret=STRANGER)

    assert ingress.client.get("/healthz").json() == {"status": "ok", "database": "reachable"}
    metrics = ingress.client.get("/metrics").text
    assert (
        'promoteros_ingress_accepted_total{event_type="scraper.metrics",source="n8n"} 1.0'
        in metrics
    )
    assert 'promoteros_ingress_rejected_total{reason="invalid_signature"} 1.0' in metrics
    assert "promoteros_ingress_request_seconds_bucket" in metrics
    document = ingress.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/webhooks/{source}/scraper.metrics" in document["paths"]
    assert "MetricObservation" in document["components"]["schemas"]


def test_timestamp_within_tolerance_is_accepted(ingress: IngressUnderTest) -> None:
    payload = {"observations": [observation()]}
    now = int(time.time())

    assert ingress.post(METRICS, payload, timestamp=now - 240).status_code == 202
    assert ingress.post(METRICS, payload, timestamp=now + 240).status_code == 202


def test_the_ingress_imports_no_dagster() -> None:
    """It must stay a light, separately scalable service."""
    code = (
        "import sys, promoteros_pipelines.ingress.app, promoteros_pipelines.ingress.server;"
        "sys.exit('dagster' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
