"""Failed runs and failing sensors become ``system`` alerts for ops (routed like any alert).

A failed run files one alert keyed by its run id, so the sensor re-evaluating the same
failure (a daemon restart, a reset cursor) changes nothing. A sensor whose ticks fail files at
most one alert per sensor per hour, so a sensor failing every 30 seconds is one message, not
a flood. The alert says what failed, what it affects and what to do.
"""

import datetime as dt
from typing import Any

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from promoteros_pipelines.defs.alerts.store import Alert, file_alert
from promoteros_pipelines.defs.inbox.run_status import dagster_will_retry, run_error
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

SENSOR_SCAN_SECONDS = 300
ERROR_LIMIT = 1_000


def file_system_alert(
    warehouse: PostgresWarehouse, severity: str, subject: str, evidence: dict, key: str
) -> bool:
    """File one system alert for ops; False when its dedupe key was already filed."""
    return file_alert(warehouse, Alert("system", severity, subject, key, evidence))


@run_failure_sensor(
    name="run_failures_to_alerts",
    default_status=DefaultSensorStatus.RUNNING,
    description="Files a system alert for ops when a run fails (one per run id).",
)
def run_failures_to_alerts(context: RunFailureSensorContext, warehouse: PostgresWarehouse) -> None:
    run = context.dagster_run
    instance = context.instance
    max_retries = instance.run_retries_max_retries if instance.run_retries_enabled else 0
    retrying = dagster_will_retry(run, instance.run_retries_enabled, max_retries)
    cause = run_error(context, limit=ERROR_LIMIT)
    action = (
        "Dagster retries it automatically; act only if the retry fails too."
        if retrying
        else "Open the run in the Dagster UI, fix the cause, then re-execute it."
    )
    explanation = (
        f"Run {run.run_id} of {run.job_name} failed; what it produces is stale until it "
        f"succeeds. {action} Cause: {cause[:ERROR_LIMIT]}"
    )
    filed = file_system_alert(
        warehouse,
        "warning" if retrying else "critical",
        f"Pipeline run failed: {run.job_name}",
        {
            "run_id": run.run_id,
            "job_name": run.job_name,
            "partition": run.tags.get("dagster/partition"),
            "will_retry": retrying,
            "error": cause[:ERROR_LIMIT],
            "explanation": explanation,
        },
        f"run-failure:{run.run_id}",
    )
    context.log.info(f"run {run.run_id}: system alert {'filed' if filed else 'already filed'}")


def _failed_sensor_ticks(context: SensorEvaluationContext, after: float) -> list:
    instance = context.instance
    ticks: list[Any] = []
    # Dagster's enums for these are private; their values are stable strings
    for state in instance.all_instigator_state():
        if state.instigator_type.value != "SENSOR" or state.instigator_name == context.sensor_name:
            continue  # a failure here is reported by Dagster itself, never by a loop
        ticks.extend(
            tick
            for tick in instance.get_ticks(
                state.instigator_origin_id, state.selector_id, after=after
            )
            if tick.status.value == "FAILURE"
        )
    return sorted(ticks, key=lambda tick: tick.timestamp)


@sensor(
    name="sensor_errors_to_alerts",
    minimum_interval_seconds=SENSOR_SCAN_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Files a system alert for ops when a sensor's evaluation fails (one an hour).",
)
def sensor_errors_to_alerts(
    context: SensorEvaluationContext, warehouse: PostgresWarehouse
) -> SensorResult | SkipReason:
    after = float(context.cursor) if context.cursor else dt.datetime.now(dt.UTC).timestamp()
    ticks = _failed_sensor_ticks(context, after)
    if not ticks:
        return SensorResult(skip_reason="no sensor failed since the last check", cursor=str(after))
    filed = 0
    for tick in ticks:
        hour = dt.datetime.fromtimestamp(tick.timestamp, dt.UTC).strftime("%Y-%m-%dT%H")
        error = tick.error.message.strip() if tick.error else "no error recorded"
        explanation = (
            f"Sensor {tick.instigator_name} failed to evaluate, so the runs it starts are not "
            f"being started. Open it in the Dagster UI (Automation), fix the cause; it resumes "
            f"on its next tick. Error: {error[:ERROR_LIMIT]}"
        )
        filed += file_system_alert(
            warehouse,
            "critical",
            f"Sensor failing: {tick.instigator_name}",
            {"sensor": tick.instigator_name, "tick_id": tick.tick_id, "explanation": explanation},
            f"sensor-error:{tick.instigator_name}:{hour}",
        )
    cursor = str(max(tick.timestamp for tick in ticks))
    context.log.info(f"{len(ticks)} failed sensor tick(s), {filed} new system alert(s)")
    return SensorResult(cursor=cursor)
