"""Rare webhooks (watch requests, reports, ticket sales, approvals): one run per event.

Each event type has a route: the job that handles it and how its payload becomes that job's
run config. A type whose job is not deployed yet keeps its events ``waiting`` (not failed);
the same sensor starts them once the job exists, since it re-reads waiting events each tick.
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
from promoteros_pipelines.events import ArtistWatch, parse_event
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MAX_RUNS_PER_TICK = 100


class PayloadRefused(ValueError):
    """The stored payload cannot become a run; the event is marked dead with this message."""


def watch_run_config(event: InboxEvent) -> dict[str, Any]:
    """``artist.watch`` -> the ``tracked_artists`` asset's watch request."""
    try:
        watch = parse_event("artist.watch", event.payload)
    except ValidationError as error:
        reason = describe_invalid(error)
        raise PayloadRefused(f"artist.watch payload is invalid: {reason}") from error
    assert isinstance(watch, ArtistWatch)
    request = {
        "event_id": event.event_id,
        "artist_name": watch.artist_name,
        "platform_ids": dict(watch.platform_ids),
        **({"genres": list(watch.genres)} if watch.genres else {}),
    }
    return {"ops": {"tracked_artists": {"config": {"watch_requests": [request]}}}}


def report_run_config(event: InboxEvent) -> dict[str, Any]:
    """``report.request`` -> the ``custom_report`` job (which validates the request itself)."""
    try:
        parse_event("report.request", event.payload)
    except ValidationError as error:
        reason = describe_invalid(error)
        raise PayloadRefused(f"report.request payload is invalid: {reason}") from error
    config = {"event_id": event.event_id, "request": dict(event.payload)}
    return {"ops": {"build_custom_report": {"config": config}}}


@dataclass(frozen=True)
class EventRoute:
    """Where one event type goes. ``job_name=None``: no job handles it yet."""

    event_type: str
    job_name: str | None = None
    run_config: Callable[[InboxEvent], Mapping[str, Any]] | None = None

    @property
    def sensor_name(self) -> str:
        return self.event_type.replace(".", "_") + "_events"


# The issues that add the report, ticketing and approval jobs fill in their routes here.
ROUTES = (
    EventRoute("artist.watch", "track_watched_artists", watch_run_config),
    EventRoute("report.request", "custom_report", report_run_config),
    EventRoute("ticketing.sales"),
    EventRoute("approval.decision"),
)


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
