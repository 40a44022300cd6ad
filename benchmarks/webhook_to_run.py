"""Webhook to run: seconds from the ingress accepting an event to its triggered run starting.

The real path on one machine: `promoteros ingress` and `dagster-daemon run` (the stack of the
end-to-end test) on a throw-away database. Signed `artist.watch` webhooks are posted one at a
time at random spacing (so arrivals fall anywhere in the sensors' 5 s tick), each starting
its own `track_watched_artists` run. Per event: acceptance = the row's `received_at`;
requested = the run's creation; started = the run worker's start. Printed beside the
issue's baseline, a bare Dagster sensor polling a table on this machine (p50 4.5 s), and the
targets p50 <= 5 s, p95 <= 10 s.

    python -m benchmarks webhook_to_run
    python -m benchmarks.webhook_to_run --events 30
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from dagster import DagsterEventType, RunsFilter

from benchmarks.common import ROOT, scratch_database, write_result
from promoteros_pipelines.runtime.dagster_home import DAGSTER_YAML

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from e2e_stack import webhook_stack

# --tuned: the same dagster.yaml plus a 1 s run queue and threaded sensor ticks.
TUNED_YAML = (
    DAGSTER_YAML.replace(
        "    max_concurrent_runs:", "    dequeue_interval_seconds: 1\n    max_concurrent_runs:"
    )
    + "sensors:\n  use_threads: true\n  num_workers: 4\n"
)

BASELINE_P50 = 4.5  # bare sensor polling a table, insert -> run start, this machine (issue 4)
TARGET_P50, TARGET_P95 = 5.0, 10.0
TERMINAL = ("done", "failed", "dead")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 3),
        "p95": round(_percentile(values, 0.95), 3),
        "max": round(max(values), 3),
    }


def _wait_done(url: str, event_ids: list[int], timeout: float, stack) -> dict[int, tuple]:
    deadline = time.monotonic() + timeout
    while True:
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT event_id, status, run_id, extract(epoch FROM received_at)"
                " FROM promoteros.webhook_events WHERE event_id = ANY(%s)",
                (event_ids,),
            ).fetchall()
        if all(row[1] in TERMINAL for row in rows) and len(rows) == len(event_ids):
            return {row[0]: row[1:] for row in rows}
        stack.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"events not done in {timeout:.0f} s: {rows}\n{stack.log_tail()}")
        time.sleep(0.5)


def _post_watch(stack, n: int) -> int:
    payload = {"artist_name": f"Bench Artist {n}", "platform_ids": {"spotify": f"sp-bench-{n}"}}
    response = stack.post("n8n", "artist.watch", payload)
    response.raise_for_status()
    return response.json()["event_id"]


def measure(events: int, spacing: tuple[float, float], seed: int, tuned: bool) -> dict:
    rng = random.Random(seed)
    with (
        scratch_database() as url,
        tempfile.TemporaryDirectory() as workdir,
        webhook_stack(
            url, Path(workdir), dagster_yaml=TUNED_YAML if tuned else DAGSTER_YAML
        ) as stack,
    ):
        # one warm-up event: the first run also pays for loading the code location
        _wait_done(url, [_post_watch(stack, 0)], 180, stack)
        ids = []
        for n in range(1, events + 1):
            ids.append(_post_watch(stack, n))
            time.sleep(rng.uniform(*spacing))
        rows = _wait_done(url, ids, 120 + 30 * events, stack)  # safety only
        run_ids = [rows[i][1] for i in ids]
        records = {
            r.dagster_run.run_id: r
            for r in stack.instance.get_run_records(filters=RunsFilter(run_ids=run_ids))
        }
        # the launcher marks a run STARTING when the queue hands it over
        dequeued = {
            run_id: min(
                e.timestamp
                for e in stack.instance.all_logs(run_id, of_type=DagsterEventType.RUN_STARTING)
            )
            for run_id in run_ids
        }
    to_request, to_start, queued, launching, statuses = [], [], [], [], []
    for event_id in ids:
        status, run_id, received = rows[event_id]
        statuses.append(status)
        record = records[run_id]
        to_request.append(record.create_timestamp.timestamp() - float(received))
        to_start.append(record.start_time - float(received))
        queued.append(dequeued[run_id] - record.create_timestamp.timestamp())
        launching.append(record.start_time - dequeued[run_id])
    return {
        "events": events,
        "spacing_seconds": list(spacing),
        "statuses": {s: statuses.count(s) for s in set(statuses)},
        "accepted_to_run_requested_seconds": _summary(to_request),
        "accepted_to_run_started_seconds": _summary(to_start),
        "breakdown_seconds": {
            "sensor_pickup": _summary(to_request),
            "run_queue_wait": _summary(queued),
            "run_worker_launch": _summary(launching),
        },
        "dagster_yaml": "tuned (dequeue 1 s, threaded sensors)" if tuned else "as deployed",
        "baseline_bare_sensor_p50_seconds": BASELINE_P50,
        "target": {"p50": TARGET_P50, "p95": TARGET_P95},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--min-spacing", type=float, default=2.0)
    parser.add_argument("--max-spacing", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--tuned", action="store_true", help="1 s run queue, threaded sensors")
    args = parser.parse_args(argv)
    result = measure(args.events, (args.min_spacing, args.max_spacing), args.seed, args.tuned)
    started = result["accepted_to_run_started_seconds"]
    requested = result["accepted_to_run_requested_seconds"]
    print(f"events: {result['events']} artist.watch, statuses {result['statuses']}")
    print(f"accepted -> run requested: p50 {requested['p50']:.2f} s, p95 {requested['p95']:.2f} s")
    print(
        f"accepted -> run started:   p50 {started['p50']:.2f} s, p95 {started['p95']:.2f} s"
        f"  (baseline bare sensor p50 {BASELINE_P50} s; target p50 <= {TARGET_P50:.0f} s,"
        f" p95 <= {TARGET_P95:.0f} s)"
    )
    for part, figures in result["breakdown_seconds"].items():
        print(f"  {part:<18} p50 {figures['p50']:.2f} s, p95 {figures['p95']:.2f} s")
    result["meets_target"] = started["p50"] <= TARGET_P50 and started["p95"] <= TARGET_P95
    print(f"meets target: {result['meets_target']}")
    name = "webhook_to_run_tuned" if args.tuned else "webhook_to_run"
    print(f"written: {write_result(name, result)}")


if __name__ == "__main__":
    main(sys.argv[1:])
