"""``check_results_to_alerts``: failed and warned asset checks and stale assets become system
alerts, one per incident, closed when they pass again (Dagster OSS has no alert policies: a
failed check does not fail its run, so run-failure sensors never see it).

Sources, newest first wins per (asset, check): Dagster's latest evaluation of every check in
the code location, and ``data_quality_log`` (so an on-demand ``promoteros validate`` counts).
Severity: the check's own (``severity`` metadata, critical/warning/info), else Dagster's ERROR
= critical, WARN = warning. Info findings (exact auto-fixes) never page anyone: they are read by
the weekly ops report from ``data_quality_log``.
Freshness: an asset with a time-window ``FreshnessPolicy`` whose last materialisation is older
than its fail window is critical, older than its warn window a warning (one never
materialised is unknown, as in Dagster: a new install does not page anyone).
"""

import datetime as dt
from typing import Any

from dagster import (
    AssetKey,
    DailyPartitionsDefinition,
    DefaultSensorStatus,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from promoteros_pipelines.defs.operations import store
from promoteros_pipelines.defs.operations.incidents import State, reconcile
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

DAGSTER_SEVERITY = {"ERROR": "critical", "WARN": "warning"}


def _check_states(context: SensorEvaluationContext, warehouse: PostgresWarehouse) -> list[State]:
    graph = context.repository_def.asset_graph  # type: ignore[union-attr]
    keys = list(graph.asset_check_keys)
    latest: dict[str, tuple[float, bool, str, dict[str, Any]]] = {}
    records = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    for key, record in records.items():
        evaluation = record.evaluation
        if evaluation is None:
            continue
        meta = evaluation.metadata.get("severity")
        severity = str(meta.value) if meta else DAGSTER_SEVERITY[evaluation.severity.value]
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        evidence = {"run_id": record.run_id, "source": "dagster"}
        latest[name] = (record.create_timestamp, evaluation.passed, severity, evidence)
    for row in store.latest_findings(warehouse):
        name = f"{row['asset']}:{row['check']}"
        stamp = row["checked_at"].timestamp()
        if name not in latest or latest[name][0] < stamp:
            evidence = {"source": "data_quality_log", "details": row["details"]}
            latest[name] = (stamp, row["passed"] or row["auto_fixed"], row["severity"], evidence)
    states = []
    for name, (_, passed, severity, evidence) in sorted(latest.items()):
        if severity == "info":
            continue
        asset, check = name.split(":", 1)
        subject = f"Data check failing: {check} on {asset}"
        states.append(State(f"check:{name}", not passed, severity, subject, evidence))
    return states


def _daily_partition_state(
    context: SensorEvaluationContext,
    key: AssetKey,
    fail: dt.timedelta,
    now: dt.datetime,
) -> State:
    """A daily-partitioned asset is checked per partition: the day D is due once the fail
    window has passed since D began (30 h: by 06:00 UTC the next day); a due day missing is
    critical, however recently another day was materialised (a backfill is not fresh data)."""
    due = (now - fail).date()
    done = context.instance.get_materialized_partitions(key)
    name = key.to_user_string()
    return State(
        f"freshness:{name}",
        due.isoformat() not in done,
        "critical",
        f"Stale data: {name} has no partition for {due.isoformat()}",
        {"asset": name, "missing_partition": due.isoformat()},
    )


def _windows(policy: object) -> tuple[dt.timedelta, dt.timedelta | None] | None:
    """(fail, warn) of a time-window freshness policy (``FreshnessPolicy.time_window``), read
    through its public attributes; None for other policies (cron) or none."""
    fail_window = getattr(policy, "fail_window", None)
    if fail_window is None:
        return None
    warn_window = getattr(policy, "warn_window", None)
    return fail_window.to_timedelta(), warn_window.to_timedelta() if warn_window else None


def freshness_states(context: SensorEvaluationContext, now: dt.datetime) -> list[State]:
    """One state per asset carrying a time-window freshness policy."""
    graph = context.repository_def.asset_graph  # type: ignore[union-attr]
    states = []
    for key in sorted(graph.get_all_asset_keys(), key=AssetKey.to_user_string):
        windows = _windows(graph.get(key).freshness_policy)
        if windows is None:
            continue
        event = context.instance.get_latest_materialization_event(key)
        if event is None:
            continue  # never materialised: unknown, as Dagster says, not stale (a new install)
        partitions = graph.get(key).partitions_def
        if isinstance(partitions, DailyPartitionsDefinition) and not partitions.end_offset:
            states.append(_daily_partition_state(context, key, windows[0], now))
            continue
        age = now - dt.datetime.fromtimestamp(event.timestamp, dt.UTC)
        fail, warn = windows
        stale = age > fail
        warned = not stale and warn is not None and age > warn
        name = key.to_user_string()
        when = f"last updated {round(age.total_seconds() / 3600, 1)} h ago"
        states.append(
            State(
                f"freshness:{name}",
                stale or warned,
                "critical" if stale else "warning",
                f"Stale data: {name} ({when})",
                {
                    "asset": name,
                    "age_seconds": round(age.total_seconds()),
                    "fail_window_seconds": fail.total_seconds(),
                },
            )
        )
    return states


@sensor(
    name="check_results_to_alerts",
    minimum_interval_seconds=120,
    default_status=DefaultSensorStatus.RUNNING,
    description="Files a system alert when an asset check fails or an asset goes stale (one per "
    "incident) and closes the incident when it passes again.",
)
def check_results_to_alerts(
    context: SensorEvaluationContext, warehouse: PostgresWarehouse
) -> SkipReason:
    now = dt.datetime.now(dt.UTC)
    states = _check_states(context, warehouse) + freshness_states(context, now)
    outcome = reconcile(warehouse, states, now)
    failing = sum(s.failing for s in states)
    return SkipReason(
        f"{len(states)} checks and freshness policies, {failing} failing; "
        f"{len(outcome.opened)} incident(s) opened, {len(outcome.closed)} closed"
    )
