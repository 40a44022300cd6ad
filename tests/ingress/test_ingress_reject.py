"""Every bad request gets its status and a JSON error, and no row is ever written."""

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ingress_helpers import (
    N8N_NEW,
    STRANGER,
    IngressUnderTest,
    encode,
    observation,
)

from promoteros_pipelines.ingress.app import RETRY_AFTER_SECONDS, create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.inbox import BREAKER_FAIL_MAX
from promoteros_pipelines.ingress.server import LoopbackServer
from tests.support.webhooks import signed_headers

METRICS = "/webhooks/n8n/scraper.metrics"
GOOD = {"observations": [observation()]}


def _unsigned(ingress: IngressUnderTest) -> httpx.Response:
    return ingress.client.post(METRICS, content=encode(GOOD))


def _tampered(ingress: IngressUnderTest) -> httpx.Response:
    headers = signed_headers(N8N_NEW, encode(GOOD))
    tampered = encode({"observations": [observation(value=99_999_999)]})
    return ingress.client.post(METRICS, content=tampered, headers=headers)


def _garbled_signature(ingress: IngressUnderTest) -> httpx.Response:
    return ingress.post(METRICS, GOOD, headers={"webhook-signature": "v1,not base64!! nonsense"})


def _sample_non_utf8(ingress: IngressUnderTest) -> httpx.Response:
    return ingress.post(METRICS, body=b'{"observations": "\xff\xfe"}')


CASES: dict[str, tuple[Any, int, str]] = {
    "unsigned": (_unsigned, 401, "missing_signature"),
    "wrong secret": (lambda i: i.post(METRICS, GOOD, secret=STRANGER), 401, "invalid_signature"),
    "body changed after signing": (_tampered, 401, "invalid_signature"),
    "garbled signature": (_garbled_signature, 401, "invalid_signature"),
    "stale timestamp": (
        lambda i: i.post(METRICS, GOOD, timestamp=int(time.time()) - 301),
        401,
        "stale_timestamp",
    ),
    "future timestamp": (
        lambda i: i.post(METRICS, GOOD, timestamp=int(time.time()) + 400),
        401,
        "stale_timestamp",
    ),
    "timestamp not a number": (
        lambda i: i.post(METRICS, GOOD, headers={"webhook-timestamp": "yesterday"}),
        401,
        "invalid_signature",
    ),
    "source without a secret": (
        lambda i: i.post("/webhooks/ticketing/scraper.metrics", GOOD),
        401,
        "no_secret",
    ),
    "unknown source": (
        lambda i: i.post("/webhooks/zapier/scraper.metrics", GOOD),
        404,
        "unknown_source",
    ),
    "upper-case source": (
        lambda i: i.post("/webhooks/N8N/scraper.metrics", GOOD),
        404,
        "unknown_source",
    ),
    "unknown event type": (
        lambda i: i.post("/webhooks/n8n/scraper.everything", GOOD),
        404,
        "unknown_event_type",
    ),
    "unrouted path": (lambda i: i.post("/webhooks/n8n", GOOD), 404, "not_found"),
    "not JSON": (lambda i: i.post(METRICS, body=b"observations=1"), 400, "invalid_json"),
    "empty body": (lambda i: i.post(METRICS, body=b""), 400, "invalid_json"),
    "not UTF-8": (_sample_non_utf8, 400, "invalid_json"),
    "wrong method": (lambda i: i.client.get(METRICS), 405, "method_not_allowed"),
    "over the limit (Content-Length)": (
        lambda i: i.post(METRICS, body=b" " * (64 * 1024 + 1)),
        413,
        "body_too_large",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_rejected_with_status_and_nothing_stored(ingress: IngressUnderTest, case: str) -> None:
    send, status, error = CASES[case]

    response = send(ingress)

    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert "detail" in response.json()
    assert ingress.rows() == []
    metrics = ingress.client.get("/metrics").text
    assert f'promoteros_ingress_rejected_total{{reason="{error}"}} 1.0' in metrics


SCHEMA_CASES: dict[str, tuple[str, Any, str]] = {
    "unknown metric": (
        "scraper.metrics",
        {"observations": [observation(), observation(metric="streams")]},
        "observations.1.metric",
    ),
    "unknown platform": (
        "scraper.metrics",
        {"observations": [observation(platform="myspace")]},
        "observations.0.platform",
    ),
    "negative value": (
        "scraper.metrics",
        {"observations": [observation(value=-1)]},
        "observations.0.value",
    ),
    "naive timestamp": (
        "scraper.metrics",
        {"observations": [observation(observed_at="2026-11-21T10:00:00")]},
        "observations.0.observed_at",
    ),
    "no observations": ("scraper.metrics", {"observations": []}, "observations"),
    "unexpected field": (
        "scraper.metrics",
        {"observations": [observation()], "batch": 1},
        "batch",
    ),
    "a list, not an object": ("scraper.metrics", [observation()], "(body)"),
    "watch without a name": ("artist.watch", {"platform_ids": {"spotify": "x"}}, "artist_name"),
    "decision neither yes nor no": (
        "approval.decision",
        {"approval_id": "a1", "decision": "maybe", "decided_by": "Ana"},
        "decision",
    ),
    "report dates reversed": (
        "report.request",
        {
            "organisation": "northside",
            "date_from": "2026-11-20",
            "date_to": "2026-11-01",
            "email": "ana@example.com",
        },
        "(body)",
    ),
    "trigger not allow-listed": ("pipeline.trigger", {"job": "drop_everything"}, "(body)"),
    "sales without a show": (
        "ticketing.sales",
        {"sales": [{"observed_at": "2026-11-21T10:00:00Z", "tickets_sold": 10}]},
        "show_id",
    ),
}


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=list(SCHEMA_CASES))
def test_schema_violation_is_422_naming_the_field(ingress: IngressUnderTest, case: str) -> None:
    event_type, payload, field = SCHEMA_CASES[case]

    response = ingress.post(f"/webhooks/n8n/{event_type}", payload)

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "schema_violation"
    assert field in [item["field"] for item in response.json()["detail"]]
    assert ingress.rows() == []


def test_streamed_body_over_the_limit_is_413(ingress: IngressUnderTest) -> None:
    """Chunked upload (no Content-Length): refused once the running count passes the limit."""
    body = encode({"observations": [observation()] * 600})
    assert len(body) > 64 * 1024

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = ingress.client.post(METRICS, content=chunks(), headers=signed_headers(N8N_NEW, body))

    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    assert ingress.rows() == []


def test_declared_oversize_body_is_refused_before_it_is_sent(ingress: IngressUnderTest) -> None:
    """Announce 100 MB, send only the headers: the 413 comes back without waiting for a body."""
    request = (
        f"POST {METRICS} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        "content-length: 100000000\r\n\r\n"
    ).encode()
    host, port = ingress.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        answer = conn.recv(65536).decode()

    assert answer.startswith("HTTP/1.1 413")
    assert "body_too_large" in answer
    assert ingress.rows() == []


def test_five_thousand_observations_fit_and_one_more_does_not(database_url: str) -> None:
    settings = IngressSettings(database_url=database_url).with_secrets({"n8n": N8N_NEW})
    one = observation()
    with (
        LoopbackServer(create_app(settings)) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        ingress = IngressUnderTest(server.base_url, database_url, client)
        too_many = ingress.post(METRICS, {"observations": [one] * 5_001})
        assert too_many.status_code == 422
        assert too_many.json()["detail"][0]["field"] == "observations"
        assert ingress.rows() == []
        assert ingress.post(METRICS, {"observations": [one] * 5_000}).status_code == 202
        assert len(ingress.rows()) == 1


def test_database_down_is_503_with_retry_after_never_500() -> None:
    """Nothing listens on port 1: health says so, and events are refused for a retry with an
    answer that tells the sender a resend with the same webhook-id is safe. Once the breaker
    has opened, requests are refused without a database attempt: then they were not stored."""
    settings = IngressSettings(
        database_url="postgresql://promoteros@127.0.0.1:1/promoteros?connect_timeout=1"
    ).with_secrets({"n8n": N8N_NEW})
    app = create_app(settings)
    with (
        LoopbackServer(app) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        health = client.get("/healthz")
        body = encode(GOOD)
        answers = [
            client.post(METRICS, content=body, headers=signed_headers(N8N_NEW, body))
            for _ in range(BREAKER_FAIL_MAX + 1)
        ]

    assert health.status_code == 503
    assert health.json()["error"] == "database_unreachable"
    assert {answer.status_code for answer in answers} == {503}
    assert {answer.json()["error"] for answer in answers} == {"unavailable"}
    assert {answer.headers["retry-after"] for answer in answers} == {str(RETRY_AFTER_SECONDS)}
    assert "may or may not have been stored" in answers[0].json()["detail"]
    assert all("same webhook-id" in answer.json()["detail"] for answer in answers)
    assert app.ingress.inbox.breaker.current_state == "open"
    assert "was not stored" in answers[-1].json()["detail"]
