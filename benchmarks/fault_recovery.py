"""Fault recovery: how long until work flows again after the Dagster daemon or PostgreSQL is
killed -9 under a steady webhook stream, and what the senders saw meanwhile.

* Daemon: `promoteros ingress` + `dagster-daemon run` (the end-to-end stack) with our
  dagster.yaml; scraper.metrics events posted at --rate per second; the daemon is killed a few
  seconds in and started again --down seconds later. Recovery = kill -> the last event of the
  stream ``done``. Baseline: the same stream without a kill, timed from the same moment.
  Events/s held = events the ingress acknowledged per second while the daemon was down.
* Database: the ingress (in this process) on a PostgreSQL of the benchmark's own; the same
  kind of stream; the server killed -9 and started again --down seconds later. Recovery =
  kill -> the first 202 after it, and server ready -> that 202 (the ingress's own share).
  Also: how fast the 503s came (the issue measured 10 s each), and acknowledged events/s
  before, during and after. Baseline: the stream's events/s before the kill.

    python -m benchmarks fault_recovery
    python -m benchmarks.fault_recovery --daemon-reps 5 --db-reps 5 --rate 50
"""

import argparse
import base64
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from benchmarks.common import ROOT, scratch_database, write_result
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.runtime import database
from promoteros_pipelines.runtime.dagster_home import START_TIMEOUT_SECONDS, dagster_yaml
from tests.support.databases import throwaway_database
from tests.support.webhooks import signed_headers

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "tests" / "faults"))
from e2e_stack import SECRET, webhook_stack
from fault_tools import KillablePostgres

ISSUE_503_SECONDS = 10.0  # issue #13: every request waited the full store timeout
PATH = "/webhooks/scraper/scraper.metrics"


def _payload(n: int) -> bytes:
    """One observation, its moment unique per ``n`` (one minute apart)."""
    moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_700_000_000 + 60 * n))
    observation = {
        "platform": "spotify",
        "external_id": f"sp-{n % 50}",
        "metric": "followers",
        "value": n,
        "observed_at": moment,
    }
    return json.dumps({"observations": [observation]}).encode()


class Stream:
    """Posts one new event every 1/rate s (retrying each with its webhook-id until answered
    2xx, as n8n does) and records (sent, answered, status, event id) per request."""

    def __init__(self, base_url: str, secret: str, rate: float, seconds: float, first: int):
        self.base_url, self.secret, self.rate, self.seconds = base_url, secret, rate, seconds
        self.first = first
        self.requests: list[tuple[float, float, int, int | None]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Stream":
        self.started = time.monotonic()
        self.thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=15) as client:
            count = int(self.rate * self.seconds)
            for index in range(count):
                due = self.started + index / self.rate
                time.sleep(max(0.0, due - time.monotonic()))
                self._post(client, self.first + index, f"bench-{uuid.uuid4().hex}")

    def _post(self, client: httpx.Client, n: int, webhook_id: str) -> None:
        body = _payload(n)
        for _ in range(200):
            sent = time.monotonic()
            try:
                response = client.post(
                    PATH, content=body, headers=signed_headers(self.secret, body, webhook_id)
                )
                status = response.status_code
                event_id = response.json().get("event_id") if status in (200, 202) else None
            except httpx.HTTPError:
                status, event_id = 0, None
            self.requests.append((sent, time.monotonic(), status, event_id))
            if status in (200, 202):
                return
            time.sleep(0.2)

    def event_ids(self) -> list[int]:
        return sorted({r[3] for r in self.requests if r[3] is not None})

    def acked_per_second(self, start: float, end: float) -> float:
        acked = sum(1 for r in self.requests if r[2] in (200, 202) and start <= r[1] < end)
        return acked / max(end - start, 1e-9)


def _seed_artists(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO promoteros.artists (artist_id, name, normalized_name, source)"
            " OVERRIDING SYSTEM VALUE SELECT n, 'Artist ' || n, 'artist ' || n, 'seed'"
            " FROM generate_series(0, 49) n ON CONFLICT DO NOTHING"
        )
        conn.execute(
            "INSERT INTO promoteros.artist_platform_ids (artist_id, platform, external_id)"
            " SELECT n, 'spotify', 'sp-' || n FROM generate_series(0, 49) n ON CONFLICT DO NOTHING"
        )


def _all_done_at(url: str, ids: list[int], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            done = conn.execute(
                "SELECT count(*) FROM promoteros.webhook_events"
                " WHERE event_id = ANY(%s) AND status = 'done'",
                (ids,),
            ).fetchone()[0]
        if done == len(ids):
            return time.monotonic()
        time.sleep(0.25)
    raise TimeoutError(f"events not done within {timeout:.0f} s")


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "runs": len(values),
        "p50": round(statistics.median(values), 2),
        "min": round(ordered[0], 2),
        "max": round(ordered[-1], 2),
    }


def daemon_kills(
    reps: int, rate: float, down: float, start_timeout: int, seconds: float = 10.0
) -> dict:
    kill_at = 0.4 * seconds
    recoveries, baselines, held = [], [], []
    yaml = dagster_yaml(start_timeout_seconds=start_timeout)
    with (
        scratch_database() as url,
        tempfile.TemporaryDirectory() as workdir,
        webhook_stack(url, Path(workdir), dagster_yaml=yaml) as stack,
    ):
        _seed_artists(url)
        first = 0
        for rep in range(reps + 1):
            stream = Stream(stack.ingress_url, SECRET, rate, seconds, first).start()
            first += int(rate * seconds)
            time.sleep(kill_at)
            mark = time.monotonic()
            killed = rep > 0  # the first pass is the no-fault baseline
            if killed:
                stack.kill("daemon")
                time.sleep(down)
                stack.start("daemon")
            back = time.monotonic()
            stream.thread.join()
            done = _all_done_at(url, stream.event_ids(), timeout=600)
            if killed:
                recoveries.append(done - mark)
                held.append(stream.acked_per_second(mark, back))
            else:
                baselines.append(done - mark)
            label = "kill" if killed else "baseline (no kill)"
            print(f"  {label}: last event done {done - mark:.1f} s after the mark")
    return {
        "stream": {"rate_per_second": rate, "seconds": seconds, "kill_at_seconds": kill_at},
        "daemon_down_seconds": down,
        "start_timeout_seconds": start_timeout,
        "kill_to_last_done_seconds": _summary(recoveries),
        "baseline_mark_to_last_done_seconds": _summary(baselines),
        "events_per_second_acknowledged_while_down": _summary(held),
    }


def database_kills(reps: int, rate: float, down: float, seconds: float = 8.0) -> dict:
    kill_at = min(3.0, seconds / 2)
    home = ROOT / ".promoteros" / f"bench-chaos-{os.getpid()}"
    server = KillablePostgres(home)
    server.start()
    secret = "whsec_" + base64.b64encode(b"bench-fault-recovery-secret-32b!").decode()
    to_first_202, ready_to_202, before, during, after, latencies = [], [], [], [], [], []
    try:
        with throwaway_database(server.url(), "promoteros_bench") as url:
            database.upgrade(url)
            settings = IngressSettings(database_url=url).with_secrets({"scraper": secret})
            with LoopbackServer(create_app(settings)) as ingress:
                first = 0
                for _ in range(reps):
                    stream = Stream(ingress.base_url, secret, rate, seconds, first).start()
                    first += int(rate * seconds)
                    time.sleep(kill_at)
                    server.kill()
                    killed = time.monotonic()
                    time.sleep(down)
                    server.start()
                    ready = time.monotonic()
                    stream.thread.join()
                    # the first event sent after the kill that the database took
                    ok = [r for r in stream.requests if r[2] in (200, 202) and r[0] > killed]
                    first_ok = min(r[1] for r in ok)
                    to_first_202.append(first_ok - killed)
                    ready_to_202.append(max(0.0, first_ok - ready))
                    before.append(stream.acked_per_second(stream.started, killed))
                    during.append(stream.acked_per_second(killed, ready))
                    after.append(stream.acked_per_second(first_ok, time.monotonic()))
                    latencies += [r[1] - r[0] for r in stream.requests if r[2] == 503]
                    print(
                        f"  kill: first 202 {first_ok - killed:.2f} s after the kill,"
                        f" {max(0.0, first_ok - ready):.2f} s after the server was ready"
                    )
    finally:
        if server.server.is_running():
            server.stop()
        shutil.rmtree(home, ignore_errors=True)
    ordered = sorted(latencies) or [0.0]
    return {
        "stream": {"rate_per_second": rate, "seconds": seconds, "kill_at_seconds": kill_at},
        "database_down_seconds": down,
        "kill_to_first_202_seconds": _summary(to_first_202),
        "server_ready_to_first_202_seconds": _summary(ready_to_202),
        "answer_503_seconds": {
            "count": len(latencies),
            "p50": round(statistics.median(ordered), 3),
            "p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3),
            "max": round(ordered[-1], 3),
            "issue_baseline": ISSUE_503_SECONDS,
        },
        "events_per_second_acknowledged": {
            "before_kill": _summary(before),
            "while_down": _summary(during),
            "after_recovery": _summary(after),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--daemon-reps", type=int, default=5)
    parser.add_argument("--db-reps", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--down", type=float, default=2.0, help="seconds killed before restart")
    parser.add_argument(
        "--stream-seconds",
        type=float,
        help="length of each stream (default 10 s around a daemon kill, 8 s around a database"
        " kill); the kill comes 40%% (daemon) or at most 3 s (database) into it",
    )
    parser.add_argument(
        "--start-timeout", type=int, default=START_TIMEOUT_SECONDS, help="run monitoring's"
    )
    args = parser.parse_args(argv)
    # every 503 is logged by the ingress and every failed reconnect by the pool: expected here
    for name in ("promoteros_pipelines.ingress", "psycopg.pool"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    load_before = os.getloadavg()[0]
    result: dict = {}
    if args.db_reps:
        print("database killed under the stream:")
        result["database"] = database_kills(
            args.db_reps, args.rate, args.down, args.stream_seconds or 8.0
        )
        db = result["database"]
        print(
            f"database: kill -> first 202 p50 {db['kill_to_first_202_seconds']['p50']} s"
            f" (server ready -> first 202 p50 {db['server_ready_to_first_202_seconds']['p50']} s);"
            f" 503s answered in p50 {db['answer_503_seconds']['p50']} s, p99"
            f" {db['answer_503_seconds']['p99']} s (issue baseline {ISSUE_503_SECONDS:.0f} s);"
            f" acknowledged/s before {db['events_per_second_acknowledged']['before_kill']['p50']},"
            f" while down {db['events_per_second_acknowledged']['while_down']['p50']},"
            f" after {db['events_per_second_acknowledged']['after_recovery']['p50']}"
        )
    if args.daemon_reps:
        print("daemon killed under the stream:")
        result["daemon"] = daemon_kills(
            args.daemon_reps, args.rate, args.down, args.start_timeout, args.stream_seconds or 10.0
        )
        dm = result["daemon"]
        print(
            f"daemon: kill -> last event done p50 {dm['kill_to_last_done_seconds']['p50']} s"
            f" (max {dm['kill_to_last_done_seconds']['max']} s) vs"
            f" {dm['baseline_mark_to_last_done_seconds']['p50']} s without a kill;"
            f" events/s acknowledged while down"
            f" {dm['events_per_second_acknowledged_while_down']['p50']} (stream {args.rate}/s)"
        )
    result["load_average_1m"] = {"before": load_before, "after": os.getloadavg()[0]}
    print(
        f"load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f} (2 cores)"
    )
    print(f"written: {write_result('fault_recovery', result)}")


if __name__ == "__main__":
    main(sys.argv[1:])
