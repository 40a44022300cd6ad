"""Ingress load: sustained accepted (committed) webhooks per second and their latency.

The ingress runs as `promoteros ingress` (uvicorn, uvloop/httptools) in a subprocess against a
throw-away database; the load comes from another process: `wrk` when installed (C, so it
leaves the CPU to the server), else an httpx async generator. Requests are distinct signed
~2 KiB `scraper.metrics` events, pre-signed before the clock starts (the sender's cost is not
the receiver's). Afterwards every event id answered 2xx must be a committed row. Printed
beside n8n's best published single-instance figure, 220 executions/s.

    python -m benchmarks ingress_load
    python -m benchmarks.ingress_load --seconds 20 --connections 64 [--generator python]
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import load_counters
from benchmarks.common import ROOT, scratch_database, write_result
from promoteros_pipelines.runtime.net import free_loopback_port

N8N_EXECUTIONS_PER_SECOND = 220  # n8n's own benchmark page, best single-instance figure
TARGET_RPS, TARGET_P99_MS = 4_000, 50
SECRET = "whsec_" + base64.b64encode(b"benchmark-secret-32-bytes-long!!").decode()
PATH = "/webhooks/scraper/scraper.metrics"

# wrk script: each thread takes every n-th pre-signed request, records 2xx event ids, and
# stops once all of its requests are answered; done() writes the figures as JSON.
WRK_SCRIPT = r"""
local threads, next_id = {}, 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local mine, bodies, sent = {}, {}, 0
accepted, duplicate, other, ids = 0, 0, 0, {}
function init(args)
  local me, n = wrk.thread:get("id"), tonumber(args[3])
  out_path = args[4]
  for line in io.lines(args[2]) do table.insert(bodies, line) end
  local i = 0
  for line in io.lines(args[1]) do
    if i % n == me - 1 then
      local id, ts, sig, b = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
      table.insert(mine, {id, ts, sig, tonumber(b)})
    end
    i = i + 1
  end
end

function request()
  sent = sent + 1
  local r = mine[sent] or mine[#mine]
  return wrk.format("POST", nil, {["content-type"] = "application/json",
    ["webhook-id"] = r[1], ["webhook-timestamp"] = r[2], ["webhook-signature"] = r[3]},
    bodies[r[4]])
end

function response(status, headers, body)
  if status == 202 or status == 200 then
    if status == 202 then accepted = accepted + 1 else duplicate = duplicate + 1 end
    ids[#ids + 1] = body:match('"event_id":(%d+)')
  else
    other = other + 1
  end
  if accepted + duplicate + other >= #mine then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local a, d, o, all = 0, 0, 0, {}
  for _, t in ipairs(threads) do
    a, d, o = a + t:get("accepted"), d + t:get("duplicate"), o + t:get("other")
    for _, id in ipairs(t:get("ids")) do all[#all + 1] = id end
    out_path = t:get("out_path")
  end
  local e = summary.errors
  local f = io.open(out_path, "w")
  f:write(string.format(
    '{"accepted": %d, "duplicate": %d, "other": %d, "requests": %d, "errors": %d, ' ..
    '"seconds": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"event_ids": [%s]}',
    a, d, o, summary.requests, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, table.concat(all, ",")))
  f:close()
end
"""


def _bodies(variants: int = 32) -> list[bytes]:
    """Distinct ~2 KiB bodies (12 observations each) so the server cannot cache anything."""
    bodies = []
    for v in range(variants):
        observations = [
            {
                "platform": ("spotify", "youtube", "tiktok", "instagram")[i % 4],
                "external_id": f"artist-{v:03d}-{i:02d}-0123456789abcdef",
                "artist_name": f"Benchmark Artist {v} {i}",
                "metric": ("followers", "views", "likes")[i % 3],
                "value": 1_000 * v + i,
                "observed_at": f"2026-11-21T{i:02d}:00:00Z",
            }
            for i in range(12)
        ]
        bodies.append(json.dumps({"observations": observations}).encode())
    return bodies


def _sign(key: bytes, webhook_id: str, stamp: int, body: bytes) -> str:
    mac = hmac.new(key, f"{webhook_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def presign(count: int, prefix: str, bodies: list[bytes]) -> list[tuple[str, str, str, int]]:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    stamp = int(time.time())
    signed = []
    for n in range(count):
        variant = n % len(bodies)
        webhook_id = f"{prefix}{n}"
        signed.append(
            (webhook_id, str(stamp), _sign(key, webhook_id, stamp, bodies[variant]), variant)
        )
    return signed


def launch_ingress(url: str, port: int, *options: str) -> subprocess.Popen[bytes]:
    """`promoteros ingress` on ``port`` against ``url``, started (not yet ready)."""
    env = os.environ | {
        "PROMOTEROS_DATABASE_URL": url,
        "PROMOTEROS_WEBHOOK_SECRETS_SCRAPER": SECRET,
        # signed links are not under load here; set, so the replicas' start is not two
        # warnings about a missing secret in the benchmark's output
        "PROMOTEROS_LINK_SECRET": os.environ.get("PROMOTEROS_LINK_SECRET") or "b" * 48,
    }
    cmd = [sys.executable, "-m", "promoteros_pipelines.cli", "ingress", "--port", str(port)]
    return subprocess.Popen(
        [*cmd, *options, "--log-level", "warning"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )


def start_ingress(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    server = launch_ingress(url, port, "--workers", str(workers))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the ingress did not become healthy within 60 s")


def run_wrk(port: int, requests: list, bodies: list[bytes], seconds: int, conns: int) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        req_file, body_file, out_file, lua = (
            Path(scratch) / name for name in ("req", "bodies", "out", "load.lua")
        )
        lua.write_text(WRK_SCRIPT)
        req_file.write_text("".join(f"{i}\t{t}\t{s}\t{b + 1}\n" for i, t, s, b in requests))
        body_file.write_bytes(b"".join(body + b"\n" for body in bodies))
        threads = 2
        script_args = [str(req_file), str(body_file), str(threads), str(out_file)]
        options = [f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s"]
        subprocess.run(
            ["wrk", *options, "-s", str(lua), f"http://127.0.0.1:{port}{PATH}", "--", *script_args],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        result = json.loads(out_file.read_text())
    result["generator"] = "wrk"
    return result


def run_python(port: int, requests: list, bodies: list[bytes], seconds: int, conns: int) -> dict:
    """Fallback generator: httpx async in a child process (far slower than wrk)."""
    with tempfile.TemporaryDirectory() as scratch:
        spec = Path(scratch) / "spec.json"
        spec.write_text(
            json.dumps(
                {
                    "url": f"http://127.0.0.1:{port}{PATH}",
                    "requests": requests,
                    "bodies": [b.decode() for b in bodies],
                    "seconds": seconds,
                    "connections": conns,
                }
            )
        )
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.ingress_load", "--client", str(spec)],
            check=True,
            capture_output=True,
            text=True,
        )
    result = json.loads(out.stdout)
    result["generator"] = "python-httpx"
    return result


async def _python_client(spec: dict[str, Any]) -> dict[str, Any]:
    import httpx

    bodies = [b.encode() for b in spec["bodies"]]
    pending = iter(spec["requests"])
    latencies: list[float] = []
    counts = {"accepted": 0, "duplicate": 0, "other": 0, "errors": 0}
    event_ids: list[int] = []
    deadline = time.perf_counter() + spec["seconds"]
    limits = httpx.Limits(max_connections=spec["connections"])

    async def worker(client: httpx.AsyncClient) -> None:
        for webhook_id, stamp, signature, body in pending:
            if time.perf_counter() > deadline:
                return
            headers = {"webhook-id": webhook_id, "webhook-timestamp": stamp}
            headers |= {"webhook-signature": signature, "content-type": "application/json"}
            started = time.perf_counter()
            try:
                answer = await client.post(spec["url"], content=bodies[body], headers=headers)
            except httpx.HTTPError:
                counts["errors"] += 1
                continue
            latencies.append(time.perf_counter() - started)
            kind = {202: "accepted", 200: "duplicate"}.get(answer.status_code, "other")
            counts[kind] += 1
            if kind != "other":
                event_ids.append(answer.json()["event_id"])

    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(spec["connections"])))
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return counts | {
        "requests": len(latencies) + counts["errors"],
        "seconds": time.perf_counter() - started,
        "p50_ms": percentile(50),
        "p90_ms": percentile(90),
        "p99_ms": percentile(99),
        "max_ms": latencies[-1] * 1000,
        "event_ids": event_ids,
    }


def verify_committed(url: str, event_ids: list[int], prefix: str) -> dict[str, int]:
    """Every distinct event id answered 2xx must be a committed row. A duplicate answer (200)
    repeats its first answer's id: when a fast run uses up its presigned requests, wrk resends
    the last one until it stops, so ids are counted once each."""
    event_ids = sorted(set(event_ids))
    with psycopg.connect(url) as conn:
        matched = conn.execute(
            "SELECT count(*) FROM promoteros.webhook_events"
            " WHERE event_id = ANY(%s) AND webhook_id LIKE %s",
            (event_ids, f"{prefix}%"),
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT count(*) FROM promoteros.webhook_events WHERE webhook_id LIKE %s",
            (f"{prefix}%",),
        ).fetchone()[0]
    return {"answered_2xx": len(event_ids), "matched_rows": matched, "rows_with_prefix": rows}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="measured run (max 30)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="ingress processes")
    parser.add_argument("--max-requests", type=int, default=400_000)
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--synchronous-commit-off",
        action="store_true",
        help="diagnosis only, NOT durable: the database acknowledges commits before their WAL"
        " is flushed, to show what the flush per request costs",
    )
    parser.add_argument(
        "--cpu-budget",
        type=float,
        metavar="CORES",
        help="with --workers N: then also 1 replica vs N, each a separate process held to CORES"
        " of CPU by a cgroup quota (the fair scaling test; needs root and writable cgroups)",
    )
    parser.add_argument("--client", help=argparse.SUPPRESS)  # the python generator's child
    args = parser.parse_args(argv)
    if args.client:
        print(json.dumps(asyncio.run(_python_client(json.loads(Path(args.client).read_text())))))
        return {}
    seconds = min(args.seconds, 30)
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
    generate = run_wrk if use_wrk else run_python
    bodies = _bodies()
    if os.environ.get("PROMOTEROS_DATABASE_URL") and not os.environ.get(
        "PROMOTEROS_TEST_DATABASE_URL"
    ):
        server_url = os.environ["PROMOTEROS_DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        os.environ["PROMOTEROS_TEST_DATABASE_URL"] = server_url
    with scratch_database() as url:
        if args.synchronous_commit_off:
            with psycopg.connect(url, autocommit=True) as conn:
                name = conn.execute("SELECT current_database()").fetchone()[0]
                conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        port = free_loopback_port()
        server = start_ingress(url, port, args.workers)
        try:
            # PostgreSQL's counters, from before the warm-up: a busy backend reports them late
            # (when idle or closing), so both phases are counted, read after the ingress stops
            commits_before = load_counters.commit_counters(url)
            generate(port, presign(3_000, "warmup_", bodies), bodies, 2, args.connections)
            requests = presign(args.max_requests, "bench_", bodies)
            load_before = os.getloadavg()[0]
            pg_before = load_counters.postgres_cpu_seconds()
            cpu_before, machine_before = (
                load_counters.process_tree_cpu_seconds(server.pid),
                load_counters.machine_cpu(),
            )
            generator_before = load_counters.children_cpu_seconds()
            result = generate(port, requests, bodies, seconds, args.connections)
            generator_cpu = load_counters.children_cpu_seconds() - generator_before
            cpu_used = load_counters.process_tree_cpu_seconds(server.pid) - cpu_before
            pg_after = load_counters.postgres_cpu_seconds()
            busy, total = (
                a - b for a, b in zip(load_counters.machine_cpu(), machine_before, strict=True)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        time.sleep(1.0)
        commits_after = load_counters.commit_counters(url)
        check = verify_committed(url, result.pop("event_ids"), "bench_")
        budgeted = None
        if args.cpu_budget and args.workers > 1:
            from benchmarks import ingress_scaling  # it imports this module's helpers

            budgeted = ingress_scaling.compare(
                url, args.workers, args.cpu_budget, generate, bodies, args
            )
    rps = result["accepted"] / result["seconds"]
    figures = {
        **result,
        "ingress_cpu_seconds": round(cpu_used, 2),
        "ingress_cpu_us_per_request": round(cpu_used / max(result["requests"], 1) * 1e6),
        "postgres_cpu_us_per_request": None
        if pg_before is None or pg_after is None
        else round((pg_after - pg_before) / max(result["requests"], 1) * 1e6),
        "generator_cpu_us_per_request": round(generator_cpu / max(result["requests"], 1) * 1e6),
        "commits": commits_after[0] - commits_before[0],
        "wal_flushes": commits_after[1] - commits_before[1],
        "synchronous_commit": "off (not durable)" if args.synchronous_commit_off else "on",
        "workers": args.workers,
        "machine_cpu_busy_pct": round(100 * busy / max(total, 1)),
        "load_average_before": load_before,
        "accepted_per_second": round(rps),
        "durability_check": check,
        "every_2xx_committed": check["matched_rows"] == check["answered_2xx"],
        "n8n_executions_per_second": N8N_EXECUTIONS_PER_SECOND,
        "ratio_vs_n8n": round(rps / N8N_EXECUTIONS_PER_SECOND, 1),
        "target": {"accepted_per_second": TARGET_RPS, "p99_ms": TARGET_P99_MS},
        "meets_target": rps >= TARGET_RPS and result["p99_ms"] <= TARGET_P99_MS,
    }
    print(
        f"ingress ({figures['generator']}, {args.connections} connections, "
        f"{result['seconds']:.1f} s): {rps:,.0f} accepted durable requests/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
        f"non-2xx {result['other']}, errors {result['errors']}"
    )
    if budgeted is not None:
        figures["budgeted_scaling"] = budgeted
    figures["commits_per_wal_flush"] = round(figures["commits"] / max(figures["wal_flushes"], 1), 1)
    print(
        f"CPU per request: ingress {figures['ingress_cpu_us_per_request']} us, PostgreSQL "
        f"{figures['postgres_cpu_us_per_request']} us, load generator "
        f"{figures['generator_cpu_us_per_request']} us; {figures['commits']:,} commits in "
        f"{figures['wal_flushes']:,} WAL flushes, warm-up included "
        f"({figures['commits_per_wal_flush']} a flush: PostgreSQL's own group commit;"
        f" synchronous_commit {figures['synchronous_commit']});"
        " machine "
        f"{figures['machine_cpu_busy_pct']}% busy (load average {load_before:.1f} before the run: "
        "other work on this machine competes for the same 2 cores)"
    )
    print(
        f"n8n single instance: {N8N_EXECUTIONS_PER_SECOND} executions/s -> "
        f"{figures['ratio_vs_n8n']}x; every 2xx committed: {figures['every_2xx_committed']} "
        f"({check['matched_rows']}/{check['answered_2xx']}); target "
        f">= {TARGET_RPS}/s, p99 <= {TARGET_P99_MS} ms: {figures['meets_target']}"
    )
    # two processes (uvicorn workers behind its shared socket) are the replicas' load test
    name = "ingress_load" if args.workers == 1 else f"ingress_load_{args.workers}_workers"
    name += "_sync_commit_off" if args.synchronous_commit_off else ""
    print(f"wrote {write_result(name, figures)}")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
