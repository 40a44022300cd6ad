"""Probes of everything the pipelines depend on, for ``system_health`` and ``promoteros status``.

Each probe returns a ``Probe``: up (True/False) or not configured (None, left out of the
score), and the numbers a person needs (latency, connections, ages). Probes never raise: a
component that cannot be reached is down, with the reason.
"""

import datetime as dt
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg

from promoteros_pipelines.domain.quality import health_score, health_status

TIMEOUT = 3.0
DISK_LIMIT = 0.9
DEAD_LETTER_LIMIT = 10
DAEMON_HEARTBEAT_LIMIT = dt.timedelta(minutes=5)
WEIGHTS = {"database": 40, "dagster_daemon": 20, "disk": 10, "dead_letters": 5}
"""Weights of the health score; anything not listed weighs 5 (ingress, SMTP, InfluxDB, each
platform API): the database is what everything needs; the daemon runs the schedules."""
DEFAULT_WEIGHT = 5


@dataclass(frozen=True)
class Probe:
    up: bool | None
    facts: dict[str, Any] = field(default_factory=dict)


def database(url: str) -> Probe:
    """Round-trip latency, connections and the longest open transaction."""
    started = time.perf_counter()
    try:
        with psycopg.connect(url, connect_timeout=int(TIMEOUT)) as conn:
            conn.execute("SELECT 1")
            latency = (time.perf_counter() - started) * 1000
            connections, longest = conn.execute(
                "SELECT count(*), coalesce(extract(epoch FROM max(now() - xact_start)), 0)"
                " FROM pg_stat_activity WHERE datname = current_database()"
            ).fetchone() or (0, 0)
    except psycopg.Error as error:
        return Probe(False, {"error": str(error).strip()[:200]})
    return Probe(
        True,
        {
            "latency_ms": round(latency, 1),
            "connections": int(connections),
            "longest_transaction_seconds": round(float(longest), 1),
        },
    )


def disk(home: Path) -> Probe:
    """Share of the disk under ``PROMOTEROS_HOME`` in use; down above 90 %."""
    target = home if home.exists() else home.parent
    usage = shutil.disk_usage(target)
    used = usage.used / usage.total if usage.total else 0.0
    return Probe(used < DISK_LIMIT, {"path": str(home), "used_share": round(used, 3)})


def daemon(heartbeats: dict[str, Any], now: dt.datetime) -> Probe:
    """Up when every daemon heartbeat is fresher than five minutes."""
    if not heartbeats:
        return Probe(False, {"error": "no Dagster daemon heartbeat recorded"})
    ages = {name: round(now.timestamp() - beat.timestamp) for name, beat in heartbeats.items()}
    stale = sorted(name for name, age in ages.items() if age > DAEMON_HEARTBEAT_LIMIT.seconds)
    return Probe(not stale, {"heartbeat_age_seconds": ages, "stale": stale})


def http(url: str | None, path: str = "") -> Probe:
    """Up when ``url``+``path`` answers below 500 (None: not configured)."""
    if not url:
        return Probe(None)
    started = time.perf_counter()
    try:
        response = httpx.get(url.rstrip("/") + path, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        return Probe(False, {"url": url, "error": type(error).__name__})
    latency = round((time.perf_counter() - started) * 1000, 1)
    return Probe(
        response.status_code < 500, {"status": response.status_code, "latency_ms": latency}
    )


def smtp(url: str | None) -> Probe:
    """Up when the SMTP server accepts a TCP connection (None: mail goes to the outbox)."""
    if not url:
        return Probe(None)
    parts = urlsplit(url)
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        with socket.create_connection((parts.hostname or "localhost", port), timeout=TIMEOUT):
            return Probe(True, {"host": parts.hostname, "port": port})
    except OSError as error:
        return Probe(False, {"host": parts.hostname, "port": port, "error": str(error)[:120]})


def dead_letters(url: str) -> Probe:
    """Dead webhooks, notifications and outbound deliveries waiting for a person."""
    try:
        with psycopg.connect(url, connect_timeout=int(TIMEOUT)) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM promoteros.webhook_events WHERE status = 'dead'),"
                " (SELECT count(*) FROM promoteros.notification_log WHERE status = 'dead'),"
                " (SELECT count(*) FROM promoteros.outbox_deliveries WHERE status = 'dead')"
            ).fetchone() or (0, 0, 0)
    except psycopg.Error:
        return Probe(None)  # the database probe already says why
    depth = {"webhooks": int(row[0]), "notifications": int(row[1]), "outbox": int(row[2])}
    return Probe(sum(depth.values()) < DEAD_LETTER_LIMIT, depth)


BREAKER_FRESH = dt.timedelta(hours=1)


def breakers(url: str, now: dt.datetime) -> dict[str, Probe]:
    """Each platform's circuit breaker as the clients last recorded it (``platform_breakers``).

    Open is down. An open breaker recorded more than an hour ago with no change since is not
    scored (up None): no run has called the platform since, so its state now is unknown; the
    facts say so. Platforms never recorded are left out."""
    try:
        with psycopg.connect(url, connect_timeout=int(TIMEOUT)) as conn:
            rows = conn.execute(
                "SELECT platform, state, failures, changed_at FROM promoteros.platform_breakers"
            ).fetchall()
    except psycopg.Error:
        return {}  # the database probe already says why
    probes = {}
    for platform, state, failures, changed_at in rows:
        facts = {"state": state, "failures": failures, "changed_at": changed_at.isoformat()}
        up: bool | None = state != "open"
        if state == "open" and now - changed_at > BREAKER_FRESH:
            up, facts["note"] = None, "open when last used; no call since, so unknown now"
        probes[f"breaker_{platform}"] = Probe(up, facts)
    return probes


def summarise(probes: dict[str, Probe]) -> tuple[int, str]:
    """(score 0-100, healthy/degraded/down) of a round of probes."""
    weights = {name: WEIGHTS.get(name, DEFAULT_WEIGHT) for name in probes}
    score = health_score({name: p.up for name, p in probes.items()}, weights)
    return score, health_status(score, bool(probes.get("database", Probe(False)).up))
