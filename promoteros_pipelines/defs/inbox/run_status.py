"""Webhook events follow the Dagster run that carries them (run tag ``promoteros/event_ids``).

queued -> ``running`` (with the run id), success -> ``done``, failure -> ``failed`` while
Dagster run retries (``run_retries`` in dagster.yaml) will re-execute the run, ``dead`` once
they will not; canceled -> ``dead``. A retry run inherits its parent's tags, so the same
sensors follow it. Events of a failed run are never requested again by the inbox sensors:
retrying is Dagster's job, and replaying a dead event is a person's decision.
"""

from dagster import (
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    run_failure_sensor,
    run_status_sensor,
)

from promoteros_pipelines.defs.inbox.store import (
    EVENT_IDS_TAG,
    mark_run_failed,
    mark_run_queued,
    mark_run_succeeded,
    parse_event_ids,
)
from promoteros_pipelines.defs.inbox.ticks import MINIMUM_INTERVAL_SECONDS
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

# Dagster's own run tags (dagster._core.storage.tags), spelt out to avoid a private import.
WILL_RETRY_TAG = "dagster/will_retry"
RETRY_NUMBER_TAG = "dagster/retry_number"
MAX_RETRIES_TAG = "dagster/max_retries"
ERROR_LIMIT = 2_000


def dagster_will_retry(run: DagsterRun, retries_enabled: bool, max_retries: int) -> bool:
    """Whether Dagster's run retries will re-execute this failed run.

    Dagster records its decision on the run (``dagster/will_retry``) when it stores the
    failure; without it, compare the run's retry number with the configured maximum.
    """
    decided = run.tags.get(WILL_RETRY_TAG)
    if decided is not None:
        return decided.lower() == "true"
    if not retries_enabled:
        return False
    limit = int(run.tags.get(MAX_RETRIES_TAG, max_retries))
    return int(run.tags.get(RETRY_NUMBER_TAG, "0")) < limit


def run_error(context: RunFailureSensorContext, limit: int = ERROR_LIMIT) -> str:
    """The failing step and its innermost error (Dagster wraps the user's exception), or the
    run's failure message: what a person needs to know about why a run failed."""
    for step_event in context.get_step_failure_events():
        error = step_event.step_failure_data.error if step_event.step_failure_data else None
        while error is not None and error.cause is not None:
            error = error.cause
        if error is not None:
            return f"{step_event.step_key}: {error.message.strip()}"[:limit]
    return (context.failure_event.message or "the run failed")[:limit]


@run_status_sensor(
    name="event_runs_queued",
    run_status=DagsterRunStatus.QUEUED,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Marks webhook events running, with the run id, once their run is queued.",
)
def event_runs_queued(context: RunStatusSensorContext, warehouse: PostgresWarehouse) -> None:
    ids = parse_event_ids(context.dagster_run.tags.get(EVENT_IDS_TAG))
    if ids:
        mark_run_queued(warehouse, ids, context.dagster_run.run_id)


@run_status_sensor(
    name="event_runs_succeeded",
    run_status=DagsterRunStatus.SUCCESS,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Marks webhook events done when their run succeeds.",
)
def event_runs_succeeded(context: RunStatusSensorContext, warehouse: PostgresWarehouse) -> None:
    ids = parse_event_ids(context.dagster_run.tags.get(EVENT_IDS_TAG))
    if ids:
        mark_run_succeeded(warehouse, ids, context.dagster_run.run_id)


@run_failure_sensor(
    name="event_runs_failed",
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Marks webhook events failed when their run fails and Dagster will retry it, dead "
        "with the error once run retries are used up."
    ),
)
def event_runs_failed(context: RunFailureSensorContext, warehouse: PostgresWarehouse) -> None:
    run = context.dagster_run
    ids = parse_event_ids(run.tags.get(EVENT_IDS_TAG))
    if not ids:
        return
    instance = context.instance
    max_retries = instance.run_retries_max_retries if instance.run_retries_enabled else 0
    retry = int(run.tags.get(RETRY_NUMBER_TAG, "0"))
    will_retry = dagster_will_retry(run, instance.run_retries_enabled, max_retries)
    if will_retry:
        error = (
            f"run {run.run_id} failed (retry {retry} of {max_retries}); Dagster retries it: "
            f"{run_error(context)}"
        )
    else:
        error = (
            f"run {run.run_id} failed and Dagster run retries are used up ({retry} of "
            f"{max_retries}): {run_error(context)}. Fix the cause, then "
            "`promoteros events replay <event id>`."
        )
    mark_run_failed(warehouse, ids, run.run_id, error, dead=not will_retry)


@run_status_sensor(
    name="event_runs_canceled",
    run_status=DagsterRunStatus.CANCELED,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Marks webhook events dead when someone cancels their run.",
)
def event_runs_canceled(context: RunStatusSensorContext, warehouse: PostgresWarehouse) -> None:
    run = context.dagster_run
    ids = parse_event_ids(run.tags.get(EVENT_IDS_TAG))
    if ids:
        error = (
            f"run {run.run_id} was canceled; Dagster does not retry canceled runs. "
            "`promoteros events replay <event id>` runs the event again."
        )
        mark_run_failed(warehouse, ids, run.run_id, error, dead=True)
