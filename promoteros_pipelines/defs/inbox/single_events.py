"""Rare webhooks (watch requests, reports, ticket sales, approvals): one run per event.

An area declares a route for its event type: the job that handles it and how its payload
becomes that job's run config. A type whose job is not deployed yet keeps its events
``waiting`` (not failed); the same sensor starts them once the job exists, since it re-reads
waiting events each tick.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from pydantic import ValidationError

from promoteros_pipelines.defs.inbox.store import InboxEvent
from promoteros_pipelines.defs.inbox.ticks import (
    CADENCE,
    MINIMUM_INTERVAL_SECONDS,
    TickPlan,
    describe_invalid,
    evaluate_tick,
    event_run_tags,
    run_key,
)
from promoteros_pipelines.events import parse_event
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MAX_RUNS_PER_TICK = 100


class PayloadRefused(ValueError):
    """The stored payload cannot become a run; the event is marked dead with this message."""


def valid_payload(event_type: str, event: InboxEvent) -> Any:
    """The event's payload read by its contract model; ``PayloadRefused`` saying what is
    wrong otherwise (the event is then marked dead, never run)."""
    try:
        return parse_event(event_type, event.payload)
    except ValidationError as error:
        reason = describe_invalid(error)
        raise PayloadRefused(f"{event_type} payload is invalid: {reason}") from error


def payload_as_op_config(
    event_type: str, op_name: str, key: str
) -> Callable[[InboxEvent], dict[str, Any]]:
    """A route's run config for a job of one op that takes the checked payload as ``key``
    (and the inbox event id, to settle the event)."""

    def run_config(event: InboxEvent) -> dict[str, Any]:
        valid_payload(event_type, event)
        config = {"event_id": event.event_id, key: dict(event.payload or {})}
        return {"ops": {op_name: {"config": config}}}

    return run_config


@dataclass(frozen=True)
class EventRoute:
    """Where one event type goes. ``job_name=None``: no job handles it yet."""

    event_type: str
    job_name: str | None = None
    run_config: Callable[[InboxEvent], Mapping[str, Any]] | None = None

    @property
    def sensor_name(self) -> str:
        return self.event_type.replace(".", "_") + "_events"


def waiting_reason(route: EventRoute) -> str:
    if route.job_name is None:
        return (
            f"no job handles {route.event_type} yet; the event is kept and runs once that "
            "job is deployed"
        )
    return (
        f"job {route.job_name} (which handles {route.event_type}) is not deployed in this "
        "code location yet; the event is kept and runs once it is"
    )


def plan_single_runs(route: EventRoute, events: Sequence[InboxEvent]) -> TickPlan:
    """One run request per event; an event its route cannot turn into run config is refused.
    A route without a deployed job keeps every event waiting."""
    if route.job_name is None or route.run_config is None:
        return TickPlan(waiting={event.event_id: waiting_reason(route) for event in events})
    plan = TickPlan()
    for event in events:
        try:
            config = route.run_config(event)
        except PayloadRefused as error:
            plan.refused[event.event_id] = str(error)
            continue
        plan.requests.append(
            RunRequest(
                run_key=run_key(route.event_type, event.event_id, attempts=event.attempts),
                job_name=route.job_name,
                run_config=dict(config),
                tags=event_run_tags(route.event_type, [event]),
            )
        )
    return plan


def build_single_event_sensor(route: EventRoute, job: Any | None):
    """The sensor of one route; ``job`` is the deployed job, or None to park its events."""
    runnable = job is not None and route.run_config is not None
    description = (
        f"{CADENCE}, starts {route.job_name} once for each new {route.event_type} webhook."
        if runnable
        else f"Marks {route.event_type} webhooks waiting: {waiting_reason(route)}."
    )

    @sensor(
        name=route.sensor_name,
        job=job if runnable else None,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=description,
    )
    def single_event_sensor(
        context: SensorEvaluationContext, warehouse: PostgresWarehouse
    ) -> SensorResult | SkipReason:
        # parked routes read no payloads and leave already-waiting events alone
        deployed = route if runnable else EventRoute(route.event_type)
        return evaluate_tick(
            context,
            warehouse,
            route.event_type,
            lambda events: plan_single_runs(deployed, events),
            limit=MAX_RUNS_PER_TICK,
            include_waiting=runnable,
            with_payload=runnable,
        )

    return single_event_sensor
