"""Outbound targets misbehaving in the ways tests/resources and tests/defs/alerts do not
already cover: an n8n/UI/Slack receiver that is down (connection refused), one that hangs past
the timeout, one that answers 429 with Retry-After, the breaker closing again once a target
recovers, an SMTP server that accepts the connection and never answers, and an InfluxDB that
hangs. What must hold: the sender neither blocks nor gives up early, and nothing is acted on
twice (a receiver that honours the webhook-id sees each delivery act once).

Covered elsewhere, not repeated here: outbox 5xx retries then delivered once, dead letters
and their replay, permanent 4xx dead at once, the breaker opening, concurrent passes
(tests/resources/test_notifier.py); SMTP refusing, unreachable, 451 retried, dead then one
system alert, no double send after a crash (tests/resources/test_mailer.py,
tests/defs/alerts/test_alerts.py); InfluxDB 503 and 429 mid-run with nothing lost or
duplicated (tests/defs/metrics/test_influx_mirror.py); platform APIs' 429 storms, 5xx bursts,
slow answers, a platform down failing alone (tests/resources/test_platform_faults.py).
"""

import asyncio
import base64
import datetime as dt
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl
import psycopg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoteros_pipelines.defs.metrics.influx_store import mirror_observations
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.influx import InfluxMirror, InfluxWriteError
from promoteros_pipelines.resources.mailer import Mailer, MailError, compose
from promoteros_pipelines.resources.notifier import Notifier
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.net import free_loopback_port
from tests.support.influx_standin import InfluxStandIn

SECRET = "whsec_" + base64.b64encode(b"outbound-faults-secret-32-bytes!").decode()


@dataclass
class Receiver:
    """Answers each request by the next script entry: an HTTP status, or ``"hang"`` (sleeps
    past the sender's timeout, then answers 200 to nobody). Counts posts per webhook-id."""

    script: list[int | str] = field(default_factory=list)
    retry_after: str | None = None
    posts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle(self, request: Request) -> Response:
        with self.lock:
            self.posts[request.headers["webhook-id"]] += 1
            step = self.script.pop(0) if self.script else 200
        if step == "hang":
            await asyncio.sleep(2)
            return JSONResponse({"ok": True})
        headers = {"retry-after": self.retry_after} if self.retry_after and step != 200 else None
        return JSONResponse({"status": step}, status_code=int(step), headers=headers)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST"])])


def _outbox(database_url: str, url: str, **overrides) -> Notifier:
    options = {
        "warehouse": PostgresWarehouse(database_url=database_url),
        "targets": f"n8n={url}/n8n",
        "signing_secret": SECRET,
        "retry_base_seconds": 0.0,
        "max_attempts": 6,
        "timeout_seconds": 0.5,
        "breaker_fail_max": 50,
    }
    return Notifier(**(options | overrides))


def _row(database_url: str, delivery_id: int) -> dict:
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        row = conn.execute(
            "SELECT status, attempts, last_status_code, last_error,"
            " extract(epoch FROM next_attempt_at - now()) AS due_in"
            " FROM promoteros.outbox_deliveries WHERE delivery_id = %s",
            (delivery_id,),
        ).fetchone()
    assert row is not None
    return row


def _make_due(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE promoteros.outbox_deliveries SET next_attempt_at = now()")


def test_a_receiver_that_is_down_is_retried_and_gets_it_once_when_up(database_url) -> None:
    port = free_loopback_port()
    outbox = _outbox(database_url, f"http://127.0.0.1:{port}")
    delivery_id, _ = outbox.enqueue("n8n", "alert", {"n": 1}, "down-1")

    assert outbox.deliver_pending().retried == [delivery_id]  # connection refused
    row = _row(database_url, delivery_id)
    assert row["status"] == "pending" and "ConnectError" in row["last_error"]

    receiver = Receiver()
    with LoopbackServer(receiver.app(), port=port):
        assert outbox.deliver_pending().delivered == [delivery_id]
        assert outbox.deliver_pending().attempted == 0
    assert receiver.posts == {"down-1": 1}
    assert _row(database_url, delivery_id)["attempts"] == 2


def test_a_receiver_that_hangs_times_out_and_the_retry_acts_once(database_url) -> None:
    receiver = Receiver(script=["hang"])
    with LoopbackServer(receiver.app()) as server:
        outbox = _outbox(database_url, server.base_url)
        delivery_id, _ = outbox.enqueue("n8n", "alert", {"n": 1}, "hang-1")

        assert outbox.deliver_pending().retried == [delivery_id]
        assert "ReadTimeout" in _row(database_url, delivery_id)["last_error"]
        assert outbox.deliver_pending().delivered == [delivery_id]

    # the hung request may still have reached the receiver: the same webhook-id twice, which
    # a receiver honouring Standard Webhooks acts on once; never a second id
    assert set(receiver.posts) == {"hang-1"} and receiver.posts["hang-1"] == 2
    assert _row(database_url, delivery_id)["status"] == "delivered"


def test_429_with_retry_after_is_not_retried_sooner(database_url) -> None:
    receiver = Receiver(script=[429], retry_after="120")
    with LoopbackServer(receiver.app()) as server:
        outbox = _outbox(database_url, server.base_url)
        delivery_id, _ = outbox.enqueue("n8n", "alert", {"n": 1}, "slow-down-1")

        assert outbox.deliver_pending().retried == [delivery_id]
        row = _row(database_url, delivery_id)
        assert row["last_status_code"] == 429
        assert row["due_in"] >= 115  # Retry-After: 120 beats the zero backoff of this test
        assert outbox.deliver_pending().attempted == 0

        _make_due(database_url)
        assert outbox.deliver_pending().delivered == [delivery_id]
    assert receiver.posts == {"slow-down-1": 1 + 1}


def test_the_breaker_closes_again_once_the_target_recovers(database_url) -> None:
    receiver = Receiver(script=[503, 503])
    with LoopbackServer(receiver.app()) as server:
        outbox = _outbox(
            database_url, server.base_url, breaker_fail_max=2, breaker_reset_seconds=0.3
        )
        ids = [outbox.enqueue("n8n", "alert", {"n": n}, f"breaker-{n}")[0] for n in range(4)]

        first = outbox.deliver_pending()
        assert len(first.retried) == 2 and len(first.deferred) == 2  # open after two failures
        threading.Event().wait(0.4)  # past the reset timeout: the next call is the trial
        _make_due(database_url)
        second = outbox.deliver_pending()

    assert sorted(second.delivered) == sorted(ids)
    refused_first = {f"breaker-{ids.index(delivery_id)}" for delivery_id in first.retried}
    assert receiver.posts == {
        f"breaker-{n}": 2 if f"breaker-{n}" in refused_first else 1 for n in range(4)
    }  # each acted on once: the refused (503) tries were not acted on


@pytest.fixture
def silent_smtp() -> Iterator[str]:
    """A server that accepts the TCP connection and never says a word (no SMTP greeting)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"smtp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_an_smtp_server_that_never_answers_is_a_mail_error_not_a_hang(silent_smtp) -> None:
    message = compose(
        sender="PromoterOS <reports@example.org>",
        to=["ops@example.org"],
        subject="Digest",
        text="body",
    )
    with pytest.raises(MailError, match=r"TimeoutError|timed out"):
        Mailer(smtp_url=silent_smtp, timeout_seconds=0.5).send(message)


class HangingInflux(InfluxStandIn):
    """The strict stand-in, except that the next ``hangs`` writes sleep past the timeout."""

    hangs: int = 0

    async def write(self, request: Request) -> Response:
        if self.hangs:
            self.hangs -= 1
            await asyncio.sleep(2)
        return await super().write(request)


def test_an_influxdb_that_hangs_moves_nothing_and_the_next_run_sends_once(warehouse) -> None:
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name)"
        " OVERRIDING SYSTEM VALUE VALUES (1, 'Nova', 'nova')"
    )
    rows = pl.DataFrame(
        {
            "artist_id": [1] * 20,
            "platform": ["spotify"] * 20,
            "metric": ["followers"] * 20,
            "observed_at": [dt.datetime(2026, 11, 1, h, tzinfo=dt.UTC) for h in range(20)],
            "value": [float(h) for h in range(20)],
        }
    )
    warehouse.append("metric_observations", rows)
    standin = HangingInflux()
    standin.hangs = 1
    with LoopbackServer(standin.app()) as server:
        mirror = InfluxMirror(url=server.base_url, token="test-token", timeout_ms=500)
        with pytest.raises(InfluxWriteError):
            mirror_observations(warehouse, mirror, settle_seconds=0)
        report = mirror_observations(warehouse, mirror, settle_seconds=0)

    # the high-water mark did not move on the timeout, so the next run sent all 20 again; the
    # hung write may have landed too, which InfluxDB absorbs (a point is one per series and
    # time: a repeat overwrites it), so no point is ever missing or counted twice there
    assert report.rows == 20
    counts = standin.field_counts()
    assert len(counts) == 20 and set(counts.values()) <= {1, 2}
