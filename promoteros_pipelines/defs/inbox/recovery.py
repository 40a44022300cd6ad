"""Events whose run ended without their status following it: found from the run, re-filed.

The run status sensors move an event along with its run. Two things can still leave an event
``running`` (or ``failed``) with nothing coming: its run ended while a status sensor's tick
was lost, or the run itself is gone (deleted), or Dagster decided to retry a failed run and
the retry was never created. ``follow_run`` walks the run's retry chain to where it stands
now; ``stranded_events`` (a sensor) and ``promoteros events replay`` act on that answer:

* still queued, starting, running or canceling: leave it (run monitoring fails a run that
  never starts, and run retries launch it again);
* succeeded: ``done``; failed for good or canceled: ``dead``, as the status sensors would;
* gone, or a retry that never came: back to ``pending`` (attempts + 1), so its sensor starts
  a new run under a new run key. The writers are idempotent, so even a run that did part of
  the work before it vanished cannot duplicate anything.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunRecord, RunsFilter

from promoteros_pipelines.defs.inbox.run_status import dagster_will_retry

# Dagster's own run tags (dagster._core.storage.tags), spelt out to avoid a private import.
AUTO_RETRY_RUN_ID_TAG = "dagster/auto_retry_run_id"
PARENT_RUN_ID_TAG = "dagster/parent_run_id"
# A failed run that Dagster said it would retry gets its retry within seconds; after this
# long without one, the retry is taken as lost.
RETRY_GRACE_SECONDS = 120.0
ACTIVE = frozenset(
    {
        DagsterRunStatus.QUEUED,
        DagsterRunStatus.NOT_STARTED,
        DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED,
        DagsterRunStatus.CANCELING,
    }
)


class Outcome(Enum):
    ACTIVE = "active"
    SUCCEEDED = "succeeded"
    RETRY_PENDING = "retry pending"
    RETRY_LOST = "retry lost"
    FAILED = "failed"
    CANCELED = "canceled"
    GONE = "gone"


@dataclass(frozen=True)
class RunState:
    """Where an event's run (the last of its retries) stands."""

    run_id: str
    outcome: Outcome
    status: str  # Dagster's status of that run, or "missing"

    @property
    def finished(self) -> bool:
        """The run will do nothing more for its events (replay is safe)."""
        return self.outcome not in (Outcome.ACTIVE, Outcome.RETRY_PENDING)


def _retry_of(instance: DagsterInstance, run: DagsterRun) -> DagsterRun | None:
    retry_id = run.tags.get(AUTO_RETRY_RUN_ID_TAG)
    if retry_id:
        return instance.get_run_by_id(retry_id)
    children = instance.get_runs(RunsFilter(tags={PARENT_RUN_ID_TAG: run.run_id}), limit=1)
    return children[0] if children else None


def _record(instance: DagsterInstance, run_id: str) -> RunRecord | None:
    records = instance.get_run_records(RunsFilter(run_ids=[run_id]), limit=1)
    return records[0] if records else None


def follow_run(instance: DagsterInstance, run_id: str, now: float) -> RunState:
    """The state of ``run_id``'s latest retry (``now``: Unix seconds)."""
    record = _record(instance, run_id)
    if record is None:
        return RunState(run_id, Outcome.GONE, "missing")
    max_retries = instance.run_retries_max_retries if instance.run_retries_enabled else 0
    for _ in range(max(max_retries, 0) + 10):  # a chain is at most max_retries long
        run = record.dagster_run
        status = run.status.value
        if run.status in ACTIVE:
            return RunState(run.run_id, Outcome.ACTIVE, status)
        if run.status == DagsterRunStatus.SUCCESS:
            return RunState(run.run_id, Outcome.SUCCEEDED, status)
        if run.status != DagsterRunStatus.FAILURE:
            return RunState(run.run_id, Outcome.CANCELED, status)
        retry = _retry_of(instance, run)
        if retry is None:
            if not dagster_will_retry(run, instance.run_retries_enabled, max_retries):
                return RunState(run.run_id, Outcome.FAILED, status)
            ended = record.end_time or record.update_timestamp.timestamp()
            late = now - ended > RETRY_GRACE_SECONDS
            return RunState(
                run.run_id, Outcome.RETRY_LOST if late else Outcome.RETRY_PENDING, status
            )
        next_record = _record(instance, retry.run_id)
        if next_record is None:
            return RunState(retry.run_id, Outcome.GONE, "missing")
        record = next_record
    return RunState(record.dagster_run.run_id, Outcome.ACTIVE, record.dagster_run.status.value)


def describe(state: RunState) -> str:
    """One line for an event's error column and the CLI."""
    return {
        Outcome.ACTIVE: f"run {state.run_id} is still {state.status.lower()}",
        Outcome.SUCCEEDED: f"run {state.run_id} succeeded",
        Outcome.RETRY_PENDING: f"run {state.run_id} failed and Dagster is about to retry it",
        Outcome.RETRY_LOST: f"run {state.run_id} failed and its retry never started",
        Outcome.FAILED: f"run {state.run_id} failed and run retries are used up",
        Outcome.CANCELED: f"run {state.run_id} was canceled",
        Outcome.GONE: f"run {state.run_id} no longer exists",
    }[state.outcome]


def group_by_run(rows: Sequence[tuple[int, str | None]]) -> dict[str | None, list[int]]:
    """``(event_id, run_id)`` rows as run id -> event ids."""
    grouped: dict[str | None, list[int]] = {}
    for event_id, run_id in rows:
        grouped.setdefault(run_id, []).append(event_id)
    return grouped
