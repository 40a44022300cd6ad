"""The outbox against a real HTTP receiver on loopback: retries, dead letters, circuits.

The receiver checks every signature by hand (HMAC-SHA256 per the Standard Webhooks spec), not
with the library the Notifier signs with, and counts what it received per webhook-id.
"""

import base64
import hmac
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.notifier import Notifier, backoff_seconds, parse_targets
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import ConfigurationError
from tests.support.webhooks import hand_signature

SECRET = "whsec_" + base64.b64encode(b"outbound-secret-32-bytes-long!!!").decode()


@dataclass
class Receiver:
    """Answers ``fail_first`` requests with ``fail_status``, then 200; records every post."""

    fail_first: int = 0
    fail_status: int = 503
    posts: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.body()
        webhook_id = request.headers.get("webhook-id", "")
        stamp = request.headers.get("webhook-timestamp", "")
        expected = hand_signature(SECRET, webhook_id, stamp, body)
        with self.lock:
            failing = len(self.posts) < self.fail_first
            self.posts.append(
                {
                    "path": request.url.path,
                    "webhook_id": webhook_id,
                    "signed": hmac.compare_digest(
                        expected, request.headers.get("webhook-signature", "")
                    ),
                    "json": await request.json(),
                    "answered": self.fail_status if failing else 200,
                }
            )
        if failing:
            return JSONResponse({"error": "not now"}, status_code=self.fail_status)
        return JSONResponse({"ok": True})

    def successes(self) -> list[str]:
        return [p["webhook_id"] for p in self.posts if p["answered"] == 200]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()
    app = Starlette(routes=[Route("/{path:path}", state.handle, methods=["POST"])])
    with LoopbackServer(app) as server:
        yield state, server.base_url


def notifier(database_url: str, base_url: str, **overrides: Any) -> Notifier:
    options: dict[str, Any] = {
        "warehouse": PostgresWarehouse(database_url=database_url),
        "targets": f"n8n={base_url}/n8n slack={base_url}/slack, ui={base_url}/ui",
        "signing_secret": SECRET,
        "retry_base_seconds": 0.0,  # due again at once: the test drives the passes
        "max_attempts": 5,
        "breaker_fail_max": 50,
    }
    return Notifier(**(options | overrides))


def _row(database_url: str, delivery_id: int) -> dict[str, Any]:
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        row = conn.execute(
            "SELECT * FROM promoteros.outbox_deliveries WHERE delivery_id = %s", (delivery_id,)
        ).fetchone()
    assert row is not None
    return row


def test_fails_three_times_then_delivered_exactly_once(
    database_url: str, receiver: tuple[Receiver, str]
) -> None:
    state, base_url = receiver
    state.fail_first = 3
    outbox = notifier(database_url, base_url)
    delivery_id, created = outbox.enqueue("n8n", "alert.viral", {"artist": "Nova"}, "alert-1-n8n")

    reports = [outbox.deliver_pending() for _ in range(6)]

    assert created
    assert [len(r.retried) for r in reports[:3]] == [1, 1, 1]
    assert reports[3].delivered == [delivery_id]
    assert all(r.attempted == 0 for r in reports[4:])
    assert len(state.posts) == 4
    assert state.successes() == ["alert-1-n8n"]
    assert all(p["signed"] and p["webhook_id"] == "alert-1-n8n" for p in state.posts)
    assert state.posts[-1]["json"]["type"] == "alert.viral"
    assert state.posts[-1]["json"]["data"] == {"artist": "Nova"}
    row = _row(database_url, delivery_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("delivered", 4, None)


def test_a_receiver_that_always_fails_ends_dead_and_replay_revives_it(
    database_url: str, receiver: tuple[Receiver, str]
) -> None:
    state, base_url = receiver
    state.fail_first = 10**6
    outbox = notifier(database_url, base_url, max_attempts=3)
    delivery_id, _ = outbox.enqueue("ui", "show.sold_out", {"show": 7}, "show-7-sold-out")

    reports = [outbox.deliver_pending() for _ in range(5)]

    assert reports[2].dead == [delivery_id]
    assert len(state.posts) == 3
    row = _row(database_url, delivery_id)
    assert (row["status"], row["attempts"]) == ("dead", 3)
    assert "HTTP 503" in row["last_error"]
    assert [r["delivery_id"] for r in outbox.list_deliveries("dead")] == [delivery_id]

    state.fail_first = 0
    state.posts.clear()
    assert outbox.replay(delivery_id)
    assert outbox.deliver_pending().delivered == [delivery_id]
    assert state.successes() == ["show-7-sold-out"]
    assert not outbox.replay(delivery_id)  # delivered: only --force resends


def test_a_permanent_client_error_is_dead_at_once(
    database_url: str, receiver: tuple[Receiver, str]
) -> None:
    state, base_url = receiver
    state.fail_first, state.fail_status = 10**6, 404
    outbox = notifier(database_url, base_url)
    delivery_id, _ = outbox.enqueue("n8n", "report.ready", {"id": 3}, "report-3")

    assert outbox.deliver_pending().dead == [delivery_id]
    assert len(state.posts) == 1
    assert _row(database_url, delivery_id)["last_status_code"] == 404


def test_circuit_opens_and_later_deliveries_are_not_attempted(
    database_url: str, receiver: tuple[Receiver, str]
) -> None:
    state, base_url = receiver
    state.fail_first = 10**6
    outbox = notifier(database_url, base_url, breaker_fail_max=2, breaker_reset_seconds=3600)
    ids = [outbox.enqueue("n8n", "alert", {"n": n}, f"alert-{n}")[0] for n in range(5)]

    report = outbox.deliver_pending()

    assert len(report.retried) == 2
    assert sorted(report.deferred) == sorted(set(ids) - set(report.retried))
    assert len(state.posts) == 2
    # deferred deliveries are not charged an attempt and wait for the circuit
    for delivery_id in report.deferred:
        row = _row(database_url, delivery_id)
        assert (row["status"], row["attempts"]) == ("pending", 0)
    assert outbox.deliver_pending().attempted == 0


def test_enqueue_is_idempotent_by_key(database_url: str, receiver: tuple[Receiver, str]) -> None:
    state, base_url = receiver
    outbox = notifier(database_url, base_url)

    first = outbox.enqueue("n8n", "alert", {"n": 1}, "alert-9")
    again = outbox.enqueue("n8n", "alert", {"n": 1}, "alert-9")
    outbox.deliver_pending()
    outbox.deliver_pending()

    assert first == (first[0], True)
    assert again == (first[0], False)
    assert state.successes() == ["alert-9"]


def test_concurrent_passes_never_post_a_delivery_twice(
    database_url: str, receiver: tuple[Receiver, str]
) -> None:
    state, base_url = receiver
    outbox = notifier(database_url, base_url)
    for n in range(30):
        outbox.enqueue("ui", "broadcast", {"n": n}, f"broadcast-{n}")

    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda _: outbox.deliver_pending(limit=10), range(4)))

    delivered = [d for r in reports for d in r.delivered]
    assert len(delivered) == len(set(delivered))
    assert len(state.successes()) == len(set(state.successes())) == len(delivered)
    while outbox.deliver_pending().attempted:
        pass
    assert sorted(state.successes()) == sorted(f"broadcast-{n}" for n in range(30))


def test_slack_gets_its_own_text_body(database_url: str, receiver: tuple[Receiver, str]) -> None:
    state, base_url = receiver
    outbox = notifier(database_url, base_url)
    outbox.enqueue("slack", "alert.viral", {"text": "Nova Lights is breaking out"}, "s-1")
    outbox.enqueue("slack", "digest", {"artists": 3}, "s-2")

    outbox.deliver_pending()

    bodies = {p["webhook_id"]: p["json"] for p in state.posts}
    assert bodies["s-1"] == {"text": "Nova Lights is breaking out"}
    assert set(bodies["s-2"]) == {"text"} and "digest" in bodies["s-2"]["text"]


def test_configuration_errors_say_what_to_set(database_url: str) -> None:
    outbox = Notifier(
        warehouse=PostgresWarehouse(database_url=database_url), targets="n8n=http://127.0.0.1:9/x"
    )
    with pytest.raises(ConfigurationError, match="PROMOTEROS_OUTBOUND_URL_SLACK"):
        outbox.enqueue("slack", "alert", {}, "k")
    outbox.enqueue("n8n", "alert", {}, "k")
    with pytest.raises(ConfigurationError, match="PROMOTEROS_OUTBOUND_SECRET"):
        outbox.deliver_pending()
    [waiting] = outbox.list_deliveries("pending")  # the claim was rolled back: still due
    assert waiting["attempts"] == 0
    assert waiting["next_attempt_at"] <= datetime.now(tz=UTC)
    with pytest.raises(ConfigurationError, match="name=https://url"):
        parse_targets("n8n https://example.com", environ={})
    targets = parse_targets("", environ={"PROMOTEROS_OUTBOUND_URL_UI": "http://ui/broadcast"})
    assert targets["ui"].url == "http://ui/broadcast"


def test_backoff_grows_exponentially_with_full_jitter() -> None:
    assert all(0 <= backoff_seconds(1, 30, 3600) <= 30 for _ in range(50))
    assert all(0 <= backoff_seconds(4, 30, 3600) <= 240 for _ in range(50))
    assert all(backoff_seconds(20, 30, 3600) <= 3600 for _ in range(50))
    assert max(backoff_seconds(4, 30, 3600) for _ in range(200)) > 30
