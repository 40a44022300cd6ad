"""``promoteros status [--json]``: one screen saying whether the platform is healthy.

Database, the latest system_health round, the Dagster daemon and the last runs (when a Dagster
home is configured), failing data checks, open incidents (stale assets among them), dead
letters and the approvals waiting for a decision (work for people, not a fault: they do not
make the status degraded). Exit code 0 healthy, 1 degraded, 2 down (the database cannot be reached).
"""

import datetime as dt
import json
import os
from typing import Any

import click
import psycopg

from promoteros_pipelines.cli.common import console
from promoteros_pipelines.defs.approvals.store import list_approvals
from promoteros_pipelines.defs.operations import health
from promoteros_pipelines.defs.operations.store import latest_findings, open_incidents
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import resolve_target

LAST_RUNS = 10
EXIT = {"healthy": 0, "degraded": 1, "down": 2}


def _dagster(now: dt.datetime) -> dict[str, Any]:
    """Daemon heartbeats and the last runs, from the instance DAGSTER_HOME points at."""
    if not os.environ.get("DAGSTER_HOME"):
        return {"configured": False}
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        daemon = health.daemon(instance.get_daemon_heartbeats(), now)
        runs = [
            {
                "job": r.dagster_run.job_name,
                "status": r.dagster_run.status.value,
                "started": dt.datetime.fromtimestamp(r.start_time, dt.UTC).isoformat()
                if r.start_time
                else None,
            }
            for r in instance.get_run_records(limit=LAST_RUNS)
        ]
    return {"configured": True, "daemon_up": daemon.up, "daemon": daemon.facts, "last_runs": runs}


def _latest_health(url: str) -> dict[str, Any] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT checked_at, score, status FROM promoteros.system_health"
            " ORDER BY checked_at DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    return {"checked_at": row[0].isoformat(), "score": row[1], "status": row[2]}


def _pending_approvals(warehouse: PostgresWarehouse, now: dt.datetime) -> dict[str, Any]:
    pending = list_approvals(warehouse, status="pending", limit=10_000)
    by_kind: dict[str, int] = {}
    for approval in pending:
        by_kind[approval.kind] = by_kind.get(approval.kind, 0) + 1
    return {
        "count": len(pending),
        "urgent": sum(a.priority == "urgent" for a in pending),
        "by_kind": by_kind,
        "oldest_requested_at": min((a.requested_at for a in pending), default=None),
        "expiring_within_24h": sum(a.expires_at - now < dt.timedelta(hours=24) for a in pending),
    }


def collect(url: str, now: dt.datetime) -> dict[str, Any]:
    """Everything the screen shows, and the overall status."""
    database = health.database(url)
    if not database.up:
        return {"status": "down", "database": {"up": False, **database.facts}}
    warehouse = PostgresWarehouse(database_url=url)
    failing = [
        {"asset": r["asset"], "check": r["check"], "severity": r["severity"]}
        for r in latest_findings(warehouse)
        if not r["passed"] and not r["auto_fixed"] and r["severity"] != "info"
    ]
    incidents = [
        {"key": i["incident_key"], "severity": i["severity"], "since": i["opened_at"].isoformat()}
        for i in open_incidents(warehouse)
    ]
    dead = health.dead_letters(url)
    dagster = _dagster(now)
    degraded = bool(failing or incidents or dead.up is False) or dagster.get("daemon_up") is False
    return {
        "status": "degraded" if degraded else "healthy",
        "database": {"up": True, **database.facts},
        "system_health": _latest_health(url),
        "dagster": dagster,
        "failing_checks": failing,
        "open_incidents": incidents,
        "stale_assets": [
            i["key"].split(":", 1)[1] for i in incidents if i["key"].startswith("freshness:")
        ],
        "dead_letters": dead.facts,
        "pending_approvals": _pending_approvals(warehouse, now),
    }


def _print(report: dict[str, Any]) -> None:
    colour = {"healthy": "green", "degraded": "yellow", "down": "red"}[report["status"]]
    console.print(f"[{colour}]{report['status'].upper()}[/]")
    db = report["database"]
    console.print(
        f"database: {'up' if db['up'] else 'DOWN'} {db.get('latency_ms', db.get('error', ''))}"
    )
    if report["status"] == "down":
        return
    latest = report["system_health"]
    console.print(
        "system health: "
        + (
            f"{latest['score']}/100 {latest['status']} at {latest['checked_at'][:16]}"
            if latest
            else "no round yet"
        )
    )
    dagster = report["dagster"]
    if dagster["configured"]:
        console.print(f"dagster daemon: {'up' if dagster['daemon_up'] else 'DOWN'}")
        for run in dagster["last_runs"]:
            console.print(f"  {run['job']}: {run['status']} {run['started'] or ''}")
    for check in report["failing_checks"]:
        console.print(f"failing check: {check['check']} on {check['asset']} ({check['severity']})")
    for incident in report["open_incidents"]:
        console.print(
            f"open incident: {incident['key']} ({incident['severity']})"
            f" since {incident['since'][:16]}"
        )
    console.print(f"dead letters: {report['dead_letters']}")
    approvals = report["pending_approvals"]
    if approvals["count"]:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(approvals["by_kind"].items()))
        console.print(
            f"pending approvals: {approvals['count']} ({kinds}); {approvals['urgent']} urgent,"
            f" {approvals['expiring_within_24h']} expiring within 24 h, oldest requested"
            f" {str(approvals['oldest_requested_at'])[:16]}"
        )
    else:
        console.print("pending approvals: none")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def command(as_json: bool) -> None:
    """Health at a glance; exit code 0 healthy, 1 degraded, 2 down."""
    now = dt.datetime.now(dt.UTC)
    try:
        url = resolve_target(False).warehouse_url
    except Exception as error:  # no database configured or reachable: down
        report: dict[str, Any] = {
            "status": "down",
            "database": {"up": False, "error": str(error)[:200]},
        }
    else:
        report = collect(url, now)
    if as_json:
        click.echo(json.dumps(report, default=str))
    else:
        _print(report)
    raise SystemExit(EXIT[report["status"]])
