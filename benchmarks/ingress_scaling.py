"""Do ingress replicas add up? 1 replica vs N, each held to the same CPU budget.

On a small shared machine N unbudgeted processes only compete with PostgreSQL, the load
generator and everything else for the same cores, so their rate says nothing about
replicas on machines of their own. Here every replica is a separate `promoteros ingress
--reuse-port` process in a cgroup of its own with a quota of ``cores`` (say 0.4 of a core):
1 replica at that budget, then N each at that budget, which leaves the rest of the machine to
PostgreSQL and the load generator. The durable rate of N / that of 1 is the scaling figure
(N when it adds up fully). N replicas get N times the connections of the one, so each sees
the concurrency the one saw (N times the senders behind a balancer); with the total fixed,
each replica's group commits would be half as large and the ratio would measure that.

Separate processes on one port with SO_REUSEPORT rather than uvicorn's workers: each process
is known by its pid from the start (its whole life, start-up included, is in its cgroup), and
the kernel gives each its own accept queue and spreads connections by address hash, as a
balancer would. Workers sharing one accept queue take connections as they happen to wake,
so a throttled worker leaves more of them to the other and the split is not the budget's.
"""

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks import load_counters
from benchmarks.cpu_budget import BudgetUnavailable, CpuBudget, CpuBudgets
from benchmarks.ingress_load import launch_ingress, presign, verify_committed
from promoteros_pipelines.runtime.net import free_loopback_port

TARGET_RATIO_PER_REPLICA = 0.9  # 2 replicas: >= 1.8x
HEADROOM_PCT = 85  # a budgeted replica with less than this of its budget was not held by it


def listening(pid: int, port: int) -> bool:
    """Whether process ``pid`` has a socket listening on TCP ``port`` (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            listens = fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port
            if listens and fields[9] in inodes:
                return True
    return False


def start_replica(url: str, port: int, budget: CpuBudget) -> subprocess.Popen[bytes]:
    server = launch_ingress(url, port, "--reuse-port")
    budget.add(server.pid)
    deadline = time.monotonic() + 180  # a start-up (imports, migrations check) on its budget
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"a budgeted ingress replica exited ({server.returncode})")
        if listening(server.pid, port):
            return server
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("a budgeted ingress replica did not listen within 180 s")


def measure(
    url: str,
    replicas: int,
    cores: float,
    connections: int,
    generate: Any,
    bodies: list[bytes],
    args: Any,
) -> dict[str, Any]:
    """One measured run of ``replicas`` processes, each in a cgroup of ``cores``."""
    port = free_loopback_port()
    commits_before = load_counters.commit_counters(url)
    prefix = f"budget{replicas}x{connections}_"
    servers: list[subprocess.Popen[bytes]] = []
    with CpuBudgets(replicas, cores) as budgets:
        try:
            # one at a time (each listening before the next starts); extend keeps the ones
            # started when a later one fails, for the clean-up below
            servers.extend(start_replica(url, port, budget) for budget in budgets)
            warmup = presign(3_000, f"{prefix}warmup_", bodies)
            generate(port, warmup, bodies, 2, connections)
            requests = presign(args.max_requests, prefix, bodies)
            load_before = os.getloadavg()[0]
            cpu_before = [load_counters.process_tree_cpu_seconds(s.pid) for s in servers]
            throttled_before = [b.throttling() for b in budgets]
            machine_before = load_counters.machine_cpu()
            generator_before = load_counters.children_cpu_seconds()
            window = time.monotonic()
            result = generate(port, requests, bodies, min(args.seconds, 30), connections)
            generator_cpu = load_counters.children_cpu_seconds() - generator_before
            window = time.monotonic() - window  # the CPU figures' window (wrk's start included)
            cpu = [
                load_counters.process_tree_cpu_seconds(s.pid) - before
                for s, before in zip(servers, cpu_before, strict=True)
            ]
            throttled = [
                {k: after[k] - before[k] for k in after}
                for after, before in zip(
                    (b.throttling() for b in budgets), throttled_before, strict=True
                )
            ]
            busy, total = (
                a - b for a, b in zip(load_counters.machine_cpu(), machine_before, strict=True)
            )
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
    time.sleep(1.0)  # backends report their commits when they close
    commits = load_counters.commit_counters(url)[0] - commits_before[0]
    check = verify_committed(url, result.pop("event_ids"), prefix)
    seconds = result["seconds"]
    return {
        "replicas": replicas,
        "connections": connections,
        "accepted_per_second": round(result["accepted"] / seconds),
        "p99_ms": round(result["p99_ms"], 1),
        "requests": result["requests"],
        "other": result["other"],
        "errors": result["errors"],
        "seconds": round(seconds, 2),
        "every_2xx_committed": check["matched_rows"] == check["answered_2xx"],
        "durability_check": check,
        "cores_used_per_replica": [round(c / window, 2) for c in cpu],
        "cpu_us_per_request": round(sum(cpu) / max(result["requests"], 1) * 1e6),
        "throttled_periods_pct": [
            round(100 * t["throttled_periods"] / max(t["periods"], 1)) for t in throttled
        ],
        "requests_per_commit": round((result["requests"] + 3_000) / max(commits, 1), 1),
        "generator_cpu_us_per_request": round(generator_cpu / max(result["requests"], 1) * 1e6),
        "machine_cpu_busy_pct": round(100 * busy / max(total, 1)),
        "load_average_before": round(load_before, 2),
    }


def compare(url: str, replicas: int, cores: float, generate: Any, bodies: list, args: Any) -> dict:
    """1 replica vs ``replicas``, each at ``cores``; the verdict, or why it was skipped."""
    target = round(TARGET_RATIO_PER_REPLICA * replicas, 2)
    outcome: dict[str, Any] = {"cpu_budget_cores": cores, "target_ratio": target}
    try:
        one = measure(url, 1, cores, args.connections, generate, bodies, args)
        many = measure(url, replicas, cores, replicas * args.connections, generate, bodies, args)
    except BudgetUnavailable as error:
        print(f"budgeted scaling comparison skipped (not a pass): {error}")
        return outcome | {"skipped": str(error), "ratio": None, "adds_up": None}
    ratio = many["accepted_per_second"] / max(one["accepted_per_second"], 1)
    # held by its budget: the replica used (nearly) all of it; otherwise something else (the
    # machine, PostgreSQL, the generator) was the limit and the ratio says so, not the ingress
    held = all(
        used >= HEADROOM_PCT / 100 * cores
        for used in one["cores_used_per_replica"] + many["cores_used_per_replica"]
    )
    adds_up = ratio >= target and one["every_2xx_committed"] and many["every_2xx_committed"]
    outcome |= {
        "skipped": None,
        "one": one,
        "many": many,
        "ratio": round(ratio, 2),
        "replicas_held_by_budget": held,
        "adds_up": adds_up,
    }
    for run in (one, many):
        print(
            f"  {run['replicas']} replica(s) at {cores} core each, {run['connections']} "
            "connections: "
            f"{run['accepted_per_second']:,} accepted durable requests/s, p99 "
            f"{run['p99_ms']} ms; cores used {run['cores_used_per_replica']}, throttled in "
            f"{run['throttled_periods_pct']}% of periods; {run['cpu_us_per_request']} us of "
            f"ingress CPU and {run['requests_per_commit']} requests a commit; generator "
            f"{run['generator_cpu_us_per_request']} us a request; machine "
            f"{run['machine_cpu_busy_pct']}% busy, load average {run['load_average_before']}"
        )
    print(
        f"budgeted scaling: {replicas} replicas / 1 = {ratio:.2f}x (target >= {target}x): "
        f"{'pass' if adds_up else 'FAIL'}"
        + (
            ""
            if held
            else "; a replica used less than its budget, so the machine, not the budget,"
            " limited that run"
        )
    )
    return outcome
