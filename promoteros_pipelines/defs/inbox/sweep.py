"""``stranded_events``: re-files events whose run ended or vanished while their status did not
follow (see ``recovery.py``), so no event waits for a person after a crash."""

import time

from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from promoteros_pipelines.defs.inbox.recovery import (
    Outcome,
    RunState,
    describe,
    follow_run,
    group_by_run,
)
from promoteros_pipelines.defs.inbox.store import (
    format_event_ids,
    mark_run_failed,
    mark_run_succeeded,
    move_to_run,
    refile_events,
    unsettled_events,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

SWEEP_INTERVAL_SECONDS = 30
# The status sensors file a run's change within seconds; an event untouched this long while
# its run has ended was missed by them.
IDLE_SECONDS = 60.0
MAX_EVENTS_PER_SWEEP = 5_000


def sweep(
    warehouse: PostgresWarehouse,
    instance: DagsterInstance,
    *,
    idle_seconds: float = IDLE_SECONDS,
    now: float | None = None,
) -> dict[Outcome, list[int]]:
    """One pass: every unsettled event's run followed, and its status filed from it."""
    now = time.time() if now is None else now
    acted: dict[Outcome, list[int]] = {}
    rows = unsettled_events(warehouse, idle_seconds, MAX_EVENTS_PER_SWEEP)
    for run_id, ids in group_by_run(rows).items():
        if run_id is None:
            state_text, outcome = "no run was recorded", Outcome.GONE
            changed = refile_events(warehouse, ids, f"re-filed: {state_text}")
        else:
            state = follow_run(instance, run_id, now)
            outcome, state_text = state.outcome, describe(state)
            changed = _file(warehouse, ids, run_id, state, state_text)
        if changed:
            acted.setdefault(outcome, []).extend(ids)
    return acted


def _file(
    warehouse: PostgresWarehouse, ids: list[int], run_id: str, state: RunState, text: str
) -> int:
    """Apply what the run's state means for its events; returns how many changed."""
    if state.outcome in (Outcome.ACTIVE, Outcome.RETRY_PENDING):
        return move_to_run(warehouse, ids, state.run_id) if state.run_id != run_id else 0
    if state.outcome == Outcome.SUCCEEDED:
        return mark_run_succeeded(warehouse, ids, state.run_id)
    if state.outcome in (Outcome.FAILED, Outcome.CANCELED):
        hint = "; `promoteros events replay <event id>` runs it again"
        return mark_run_failed(warehouse, ids, state.run_id, text + hint, dead=True)
    return refile_events(warehouse, ids, f"re-filed: {text}")


@sensor(
    name="stranded_events",
    minimum_interval_seconds=SWEEP_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Every 30 s, finds webhook events still running or failed whose run has ended, "
        "vanished or lost its retry, and files them: done, dead, or pending again for a new "
        "run. Recovers the events of runs lost to a daemon crash without anyone replaying them."
    ),
)
def stranded_events(context: SensorEvaluationContext, warehouse: PostgresWarehouse) -> SkipReason:
    acted = sweep(warehouse, context.instance)
    if not acted:
        return SkipReason("No stranded events.")
    parts = [f"{outcome.value}: events {format_event_ids(ids)}" for outcome, ids in acted.items()]
    context.log.warning("Re-filed stranded events (%s)", "; ".join(parts))
    return SkipReason("Re-filed stranded events (" + "; ".join(parts) + ").")
