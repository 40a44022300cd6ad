"""Every benchmark in one command: ``python -m benchmarks [--quick] [name ...]``.

Each benchmark runs in a process of its own (so one cannot leave another a stale environment:
``detect_history`` sets PROMOTEROS_DATABASE_URL to its scratch database, which the next one
used to take for the server), against one PostgreSQL started here once for the whole run (the
embedded one under .promoteros/bench, or PROMOTEROS_TEST_DATABASE_URL's). Their output is shown
as it comes, under a progress line per benchmark; at the end ``latest.json`` (per benchmark:
figures, baseline, ratio, target, pass) and ``latest.md`` (the same as a table) are written to
the results folder (benchmarks/results, or PROMOTEROS_BENCH_RESULTS).

``--quick`` runs every benchmark at a small size (CI's ``make bench-quick``): the figures
prove the benchmark still runs, not how fast anything is. Quick runs go in lanes at once: the
benchmarks that drive the whole Dagster stack (WAITING) spend most of their wall time waiting
(sensor passes, webhook streams paced in real time, a killed daemon's downtime), so each runs
in a lane of its own beside the others instead of after them. Their quick figures are then
taken on a busier machine; at default size everything runs alone, one after another.
"""

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, RESULTS_ENV, ROOT
from benchmarks.summaries import SUMMARIES

# (benchmark, module, default-size arguments, quick-size arguments)
SUITE: list[tuple[str, str, list[str], list[str]]] = [
    (
        "ingest_observations",
        "ingest_observations",
        [],
        ["--rows", "20000", "--artists", "250", "--naive-rows", "1000"],
    ),
    (
        "load_history",
        "load_history",
        [],
        ["--rows", "40000", "--artists", "250", "--context"],
    ),
    (
        "ingress_load",
        "ingress_load",
        [],
        ["--seconds", "3", "--connections", "16", "--max-requests", "20000"],
    ),
    (
        "ingress_load_2_workers",
        "ingress_load",
        ["--workers", "2", "--cpu-budget", "0.4"],
        [
            "--seconds",
            "3",
            "--connections",
            "16",
            "--max-requests",
            "20000",
            "--workers",
            "2",
            "--cpu-budget",
            "0.4",
        ],
    ),
    ("analytics_bench", "analytics_bench", [], ["--artists", "200", "--days", "50"]),
    (
        "detect_history",
        "detect_history",
        [],
        ["--artists", "50", "--days", "7", "--sample-rounds", "1"],
    ),
    ("report_render", "report_render", [], ["--artists", "100", "--venues", "1"]),
    ("webhook_to_run", "webhook_to_run", [], ["--events", "1", "--min-spacing", "1"]),
    (
        "fault_recovery",
        "fault_recovery",
        [],
        [
            "--daemon-reps",
            "1",
            "--db-reps",
            "1",
            "--rate",
            "2",
            "--down",
            "1",
            "--stream-seconds",
            "6",
        ],
    ),
    ("nightly_e2e", "nightly_e2e", [], ["--artists", "1000", "--history-days", "2"]),
    ("data_validation", "data_validation", [], ["--rows", "50000", "--days", "10"]),
    ("archive_month", "archive_month", [], ["--rows", "100000"]),
    ("ticketing_burst", "ticketing_burst", [], ["--shows", "40", "--points", "10"]),
    ("booking_scoring", "booking_scoring", [], ["--artists", "2000", "--venues", "50"]),
]
NAMES = [name for name, *_ in SUITE]
# Mostly waiting on the clock (see the module's docstring): a lane each in a quick run.
WAITING = ("webhook_to_run", "fault_recovery")
_PRINT = threading.Lock()


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _say(line: str) -> None:
    with _PRINT:
        print(line, end="" if line.endswith("\n") else "\n", flush=True)


def machine_speed() -> float:
    """CPU seconds of a fixed pure-Python workload, best of three: the same suite took 3-4x
    longer on one day's machine than on another's, so a suite's seconds are read against
    this figure, not against another day's seconds alone."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for n in range(2_000_000):
            total += n * n % 7
        sorted(str(n) for n in range(200_000))
        best = min(best, time.process_time() - started)
    return round(best, 3)


def _run_one(name: str, module: str, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run one benchmark, echoing its output as it comes, each line under its name;
    (exit code, its tail)."""
    command = [sys.executable, "-u", "-m", f"benchmarks.{module}", *args]
    tail: list[str] = []
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            _say(f"    {name}| {line}")
            tail = [*tail[-19:], line.rstrip()]
    return child.returncode, "\n".join(tail)


def _summarise(name: str, results: Path, started: float) -> dict[str, Any]:
    data = json.loads((results / f"{name}.json").read_text())
    if data.get("finished_at", started) < started:
        raise RuntimeError(f"{name}.json was not rewritten by this run")
    return SUMMARIES[name](data | {"results_dir": str(results)})


def run(
    names: list[str], quick: bool, results: Path, sizes: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """Run ``names`` in the suite's order; ``sizes`` replaces a benchmark's arguments (tests)."""
    results.mkdir(parents=True, exist_ok=True)
    env = os.environ | {RESULTS_ENV: str(results)}
    chosen = [entry for entry in SUITE if entry[0] in names]
    report: dict[str, Any] = {
        "size": "quick" if quick else "default",
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
            "speed_cpu_seconds": machine_speed(),
        },
        "benchmarks": {},
    }
    begin = time.monotonic()
    numbered = {entry[0]: number for number, entry in enumerate(chosen, start=1)}

    def one(name: str, module: str, default_args: list[str], quick_args: list[str]) -> None:
        number = numbered[name]
        args = (sizes or {}).get(name, quick_args if quick else default_args)
        _say(
            f"[{number}/{len(chosen)}] {name} {' '.join(args)}  "
            f"(elapsed {_clock(time.monotonic() - begin)}, load {os.getloadavg()[0]:.1f})"
        )
        started, wall = time.time(), time.monotonic()
        code, tail = _run_one(name, module, args, env)
        entry: dict[str, Any] = {"args": args, "seconds": round(time.monotonic() - wall, 1)}
        try:
            if code:
                raise RuntimeError(f"exit code {code}:\n{tail}")
            entry |= {"status": "ok", **_summarise(name, results, started)}
        except Exception as error:  # a failed benchmark is a row of the report, not the end
            entry |= {"status": "failed", "error": str(error)[-2000:], "pass": False}
        finished[name] = entry
        verdict = {True: "pass", False: "FAIL", None: "no target"}[entry.get("pass")]
        _say(
            f"[{number}/{len(chosen)}] {name}: {entry['status']}, {verdict}, "
            f"{entry['seconds']:.0f} s"
        )

    finished: dict[str, dict[str, Any]] = {}
    lanes = [chosen]
    if quick:
        lanes = [[e for e in chosen if e[0] not in WAITING]]
        lanes += [[e] for e in chosen if e[0] in WAITING]
    report["lanes"] = [[name for name, *_ in lane] for lane in lanes if lane]
    with ExitStack() as stack:
        if not env.get("PROMOTEROS_TEST_DATABASE_URL"):
            stack.enter_context(_shared_embedded_server())
        threads = [
            threading.Thread(target=lambda lane=lane: [one(*entry) for entry in lane])
            for lane in lanes[1:]
        ]
        for thread in threads:
            thread.start()
        for entry in lanes[0]:
            one(*entry)
        for thread in threads:
            thread.join()
    report["benchmarks"] = {name: finished[name] for name, *_ in chosen if name in finished}
    report["seconds"] = round(time.monotonic() - begin, 1)
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    rows = report["benchmarks"].values()
    report["all_ran"] = all(b["status"] == "ok" for b in rows)
    report["all_passed"] = all(b["pass"] is not False for b in rows)
    (results / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    (results / "latest.md").write_text(markdown(report))
    return report


@contextmanager
def _shared_embedded_server() -> Iterator[None]:
    """The benchmarks' embedded server, started once: each benchmark finds it running and
    leaves it so. Stopped at the end unless it was running before."""
    from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres

    embedded = EmbeddedPostgres(ROOT / ".promoteros" / "bench")
    was_running = embedded.is_running()
    embedded.start()
    try:
        yield
    finally:
        if not was_running:
            embedded.stop()


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def markdown(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"Benchmarks ({report['size']} size), {report['started_at']}: {report['seconds']:.0f} s"
        f" on {machine['cpus']} cores, load average {machine['load_average_before'][0]} before"
        f" and {machine['load_average_after'][0]} after"
        + (
            f"; machine speed {machine['speed_cpu_seconds']:.2f} s of CPU for a fixed"
            " Python workload (lower is faster)"
            if "speed_cpu_seconds" in machine
            else ""
        )
        + (
            f"; in {len(report['lanes'])} lanes at once: "
            + " | ".join(", ".join(lane) for lane in report["lanes"])
            if len(report.get("lanes", [])) > 1
            else ""
        ),
        "",
        "| benchmark | figures | baseline | ratio | target | pass | s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, b in report["benchmarks"].items():
        if b["status"] != "ok":
            first = b["error"].splitlines()[0] if b["error"] else ""
            lines.append(f"| {name} | failed: {first} | | | | FAIL | {b['seconds']:.0f} |")
            continue
        verdict = {True: "yes", False: "**no**", None: "-"}[b["pass"]]
        lines.append(
            f"| {name} | {_cell(b['figures'])} | {_cell(b['baseline'])} | {_cell(b['ratio'])}"
            f" ({b['ratio_means']}) | {_cell(b['target'])} | {verdict} | {b['seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"default: all of {NAMES}")
    parser.add_argument("--quick", action="store_true", help="every benchmark at a small size")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    unknown = set(args.names) - set(NAMES)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; available: {NAMES}")
    report = run(args.names or NAMES, args.quick, args.results)
    print()
    print(markdown(report), end="")
    print(f"written: {args.results / 'latest.json'} and latest.md")
    if not report["all_ran"]:
        sys.exit("some benchmarks failed to run (see the table)")


if __name__ == "__main__":
    main()
