"""Where a load test's CPU and commits went: per process tree, the machine, PostgreSQL's
commit and WAL-flush counters, and the load generator (a finished child process)."""

import os
import resource
from pathlib import Path

import psycopg

from benchmarks.common import ROOT


def process_tree_cpu_seconds(root: int) -> float:
    """User + system CPU of process ``root`` and its direct children, from /proc (the
    ingress and its workers; the postmaster and its backends)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def postgres_cpu_seconds() -> float | None:
    """CPU of the embedded benchmark server (postmaster and its backends); None if external."""
    pid_file = ROOT / ".promoteros" / "bench" / "pgdata" / "postmaster.pid"
    if os.environ.get("PROMOTEROS_TEST_DATABASE_URL") or not pid_file.exists():
        return None
    return process_tree_cpu_seconds(int(pid_file.read_text().split()[0]))


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies over all cores, to see how much else the machine was doing."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def commit_counters(url: str) -> tuple[int, int]:
    """(transactions committed in this database, WAL flushes of the whole server): several
    commits per flush means PostgreSQL already groups them (one fsync for a batch). The
    flushes are in pg_stat_io from PostgreSQL 18 (the embedded server), pg_stat_wal before."""
    with psycopg.connect(url) as conn:
        commits = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        flushes = conn.execute(
            "SELECT coalesce(sum(fsyncs), 0) FROM pg_stat_io WHERE object = 'wal'"
            if int(version) >= 180000
            else "SELECT wal_sync FROM pg_stat_wal"
        ).fetchone()[0]
    return int(commits), int(flushes)


def children_cpu_seconds() -> float:
    """User + system CPU of this process's finished children (the load generator)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
