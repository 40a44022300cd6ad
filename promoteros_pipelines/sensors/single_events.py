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

from promoteros_pipelines.events_store import (
    InboxBusy,
    InboxEvent,
    mark_dead,
    mark_waiting,
    read_inbox,
)
from promoteros_pipelines.ingress.events import ArtistWatch, parse_event
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.sensors.inbox import (
    CADENCE,
    MINIMUM_INTERVAL_SECONDS,
    advanced_cursor,
    describe_invalid,
    event_run_tags,
    read_cursor,
    run_key,
)

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


def plan_single_runs(
    route: EventRoute, events: Sequence[InboxEvent]
) -> tuple[list[RunRequest], dict[int, str]]:
    """One run request per event, and the events refused with the reason."""
    assert route.run_config is not None
    requests: list[RunRequest] = []
    refused: dict[int, str] = {}
    for event in events:
        try:
            config = route.run_config(event)
        except PayloadRefused as error:
            refused[event.event_id] = str(error)
            continue
        requests.append(
            RunRequest(
                run_key=run_key(route.event_type, event.event_id, attempts=event.attempts),
                job_name=route.job_name,
                run_config=dict(config),
                tags=event_run_tags(route.event_type, [event]),
            )
        )
    return requests, refused


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
        after = read_cursor(context.cursor)
        try:
            upto, events = read_inbox(
                warehouse,
                [route.event_type],
                after,
                include_waiting=runnable,
                with_payload=runnable,
                limit=MAX_RUNS_PER_TICK,
            )
        except InboxBusy as busy:
            return SkipReason(f"{busy}; trying again next tick")
        complete = len(events) < MAX_RUNS_PER_TICK
        cursor = advanced_cursor(after, upto, events, complete)
        if not events:
            skip = f"No {route.event_type} events pending after event {after} (inbox at {upto})."
            return SensorResult(skip_reason=SkipReason(skip), cursor=str(cursor))
        if not runnable:
            parked = mark_waiting(warehouse, [e.event_id for e in events], waiting_reason(route))
            skip = f"{parked} {route.event_type} events waiting: {waiting_reason(route)}."
            return SensorResult(skip_reason=SkipReason(skip), cursor=str(cursor))
        requests, refused = plan_single_runs(route, events)
        for event_id, reason in refused.items():
            mark_dead(warehouse, [event_id], reason)
            context.log.warning("Event %d refused: %s", event_id, reason)
        if not requests:
            skip = f"{len(refused)} {route.event_type} events refused (marked dead)."
            return SensorResult(skip_reason=SkipReason(skip), cursor=str(cursor))
        return SensorResult(run_requests=requests, cursor=str(cursor))

    return single_event_sensor
