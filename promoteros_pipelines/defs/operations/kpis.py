"""Pipeline KPIs from Dagster's own run records: success rate, p50/p95 duration and failures
by error class per job, and sensor tick failures, over the last day.

Targets (issue 17): success rate at least 99 % per job; metrics fresher than one hour is the
freshness policies' job (``check_results_to_alerts``).
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

SUCCESS_TARGET = 0.99
WINDOW = dt.timedelta(hours=24)
RUN_LIMIT = 5_000


@dataclass
class JobKpis:
    job_name: str
    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    durations: list[float] = field(default_factory=list)
    failures_by_error: Counter[str] = field(default_factory=Counter)

    @property
    def success_rate(self) -> float | None:
        finished = self.succeeded + self.failed
        return self.succeeded / finished if finished else None

    def percentile(self, share: float) -> float | None:
        if not self.durations:
            return None
        ordered = sorted(self.durations)
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    def row(self) -> dict[str, Any]:
        return {
            "job_name": self.job_name,
            "runs": self.runs,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "success_rate": self.success_rate,
            "p50_seconds": self.percentile(0.5),
            "p95_seconds": self.percentile(0.95),
            "failures_by_error": dict(self.failures_by_error),
        }


def _error_class(instance: DagsterInstance, run_id: str) -> str:
    """The class of the error that failed the run (its first failed step's, else the run's)."""
    for event_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE):
        records = instance.get_records_for_run(run_id, of_type=event_type, limit=1).records
        for record in records:
            event = record.event_log_entry.dagster_event
            data = getattr(event, "event_specific_data", None) if event else None
            error = getattr(data, "error", None)
            while error is not None and error.cause is not None:
                error = error.cause  # the user's exception, not Dagster's wrapper
            if error is not None:
                return str(error.cls_name)
    return "unknown"


def job_kpis(instance: DagsterInstance, now: dt.datetime) -> list[JobKpis]:
    """One ``JobKpis`` per job that ran in the ``WINDOW`` before ``now`` (Dagster's internal
    jobs left out)."""
    records = instance.get_run_records(RunsFilter(created_after=now - WINDOW), limit=RUN_LIMIT)
    by_job: dict[str, JobKpis] = {}
    for record in records:
        run = record.dagster_run
        if run.job_name.startswith("__"):
            continue
        kpis = by_job.setdefault(run.job_name, JobKpis(run.job_name))
        kpis.runs += 1
        if run.status == DagsterRunStatus.SUCCESS:
            kpis.succeeded += 1
        elif run.status == DagsterRunStatus.FAILURE:
            kpis.failed += 1
            kpis.failures_by_error[_error_class(instance, run.run_id)] += 1
        if record.start_time and record.end_time:
            kpis.durations.append(record.end_time - record.start_time)
    return [by_job[name] for name in sorted(by_job)]


def sensor_tick_failures(instance: DagsterInstance, now: dt.datetime) -> dict[str, int]:
    """Failed ticks per sensor in the window."""
    after = (now - WINDOW).timestamp()
    failures: dict[str, int] = {}
    for state in instance.all_instigator_state():
        if state.instigator_type.value != "SENSOR":
            continue
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, after=after)
        failed = sum(tick.status.value == "FAILURE" for tick in ticks)
        if failed:
            failures[state.instigator_name] = failed
    return failures


def below_target(kpis: list[JobKpis]) -> list[str]:
    """Jobs whose success rate over the window is under ``SUCCESS_TARGET``."""
    return [
        k.job_name for k in kpis if k.success_rate is not None and k.success_rate < SUCCESS_TARGET
    ]
