"""What every webhook-inbox sensor shares: its cursor, its tick interval, run keys and tags.

The cursor is the highest ``event_id`` the sensor has handed to a run (or parked). Dagster
stores it together with the tick's run requests before it submits any run, so a daemon
restart resumes that tick instead of evaluating it again: no event is lost or requested
twice. Run keys derived from event ids are the second guard: Dagster skips a run key it has
already launched for the sensor.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason
from pydantic import ValidationError

from promoteros_pipelines.defs.inbox.store import (
    EVENT_IDS_TAG,
    EVENT_TYPE_TAG,
    InboxBusy,
    InboxEvent,
    format_event_ids,
    mark_dead,
    mark_waiting,
    read_inbox,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

# Dagster's sensor daemon passes over its sensors every 5 s (MIN_INTERVAL_LOOP_TIME in
# dagster._daemon.sensor, not configurable) and skips a sensor whose last tick began less
# than its minimum interval ago. At 5 s the tick, begun a moment after the pass, is skipped
# on every other pass: a 10 s cadence. Anything below 5 s ticks on every pass, so a webhook
# waits 0-5 s for its sensor. A tick costs one connection and index-only reads
# (``read_inbox``), a few milliseconds however many events the inbox holds.
MINIMUM_INTERVAL_SECONDS = 1
# What that means, for the sensors' descriptions in the UI.
CADENCE = "About every 5 s (each pass of the sensor daemon)"


def read_cursor(cursor: str | None) -> int:
    """The last event id handled; 0 before the first tick."""
    return int(cursor) if cursor else 0


def run_key(event_type: str, first: int, last: int | None = None, attempts: int = 0) -> str:
    """``artist.watch:42``, ``scraper.metrics:100-599``; a replay adds its attempt number."""
    span = str(first) if last is None else f"{first}-{last}"
    suffix = f":attempt-{attempts + 1}" if attempts else ""
    return f"{event_type}:{span}{suffix}"


def event_run_tags(event_type: str, events: Sequence[InboxEvent]) -> dict[str, str]:
    """Tags that tie a run to its events; the run status sensors follow runs by them."""
    return {
        EVENT_TYPE_TAG: event_type,
        EVENT_IDS_TAG: format_event_ids(event.event_id for event in events),
    }


def advanced_cursor(after: int, upto: int, planned: Sequence[InboxEvent], complete: bool) -> int:
    """Where the next tick starts.

    ``complete``: every new event up to the watermark ``upto`` was handled, so the cursor
    moves to it (skipping ids of other event types). Otherwise it stops at the last new event
    handled, and the rest is read next tick.
    """
    if complete:
        return max(after, upto)
    new = [event.event_id for event in planned if event.event_id > after]
    return max([after, *new])


def describe_invalid(error: ValidationError) -> str:
    """A pydantic error on one line: ``platform_ids.myspace: Input should be ...; ...``."""
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "payload"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)


@dataclass
class TickPlan:
    """What a sensor decided for the events of one tick: the runs to request, and the events
    refused (marked dead) or kept waiting, each with its reason."""

    requests: list[RunRequest] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    waiting: dict[int, str] = field(default_factory=dict)


def _by_reason(reasons: dict[int, str]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for event_id, reason in reasons.items():
        grouped.setdefault(reason, []).append(event_id)
    return grouped


def evaluate_tick(
    context: SensorEvaluationContext,
    warehouse: PostgresWarehouse,
    event_type: str,
    plan: Callable[[Sequence[InboxEvent]], TickPlan],
    *,
    limit: int,
    include_waiting: bool = True,
    with_payload: bool = True,
) -> SensorResult | SkipReason:
    """One tick of a one-run-per-event sensor: read the new (and waiting) events after the
    cursor, let ``plan`` decide, file the refused and waiting ones (one update per reason),
    and return the run requests with the advanced cursor."""
    after = read_cursor(context.cursor)
    try:
        upto, events = read_inbox(
            warehouse,
            [event_type],
            after,
            include_waiting=include_waiting,
            with_payload=with_payload,
            limit=limit,
        )
    except InboxBusy as busy:
        return SkipReason(f"{busy}; trying again next tick")
    cursor = str(advanced_cursor(after, upto, events, complete=len(events) < limit))
    if not events:
        skip = f"No {event_type} events pending after event {after} (inbox at {upto})."
        return SensorResult(skip_reason=SkipReason(skip), cursor=cursor)
    decided = plan(events)
    for reason, ids in _by_reason(decided.refused).items():
        mark_dead(warehouse, ids, reason)
        context.log.warning("Events %s refused: %s", format_event_ids(ids), reason)
    waiting = _by_reason(decided.waiting)
    for reason, ids in waiting.items():
        mark_waiting(warehouse, ids, reason)
    if decided.requests:
        return SensorResult(run_requests=decided.requests, cursor=cursor)
    skip = (
        f"{len(decided.refused)} {event_type} events refused (marked dead), "
        f"{len(decided.waiting)} waiting" + "".join(f"; {reason}" for reason in waiting) + "."
    )
    return SensorResult(skip_reason=SkipReason(skip), cursor=cursor)


def plan_batched_tick(
    events: Sequence[InboxEvent],
    after: int,
    upto: int,
    fetched_all: bool,
    *,
    plan_batches: Callable[[Sequence[InboxEvent]], list[list[InboxEvent]]],
    request_for: Callable[[Sequence[InboxEvent], int], RunRequest],
    max_runs: int,
) -> tuple[list[RunRequest], int]:
    """Run requests for one tick of a micro-batching sensor, and the cursor after it.

    New events are batched (``plan_batches``). Replayed (or re-filed) events are batched too,
    those of the same attempt together, under run keys that name the attempt
    (``request_for(batch, attempts)``): an event is handed out once per attempt, so such a key
    is never reused, and a crash that strands a run's 500 events brings them back as one run,
    not 500. When the read was cut off by its limit, the last (possibly partial) batch of new
    events waits for the next tick, so batches stay full under load.
    """
    replayed = [event for event in events if event.event_id <= after]
    new = [event for event in events if event.event_id > after]
    batches = plan_batches(new)
    complete = fetched_all and len(batches) <= max_runs
    if not complete and len(batches) > 1:
        batches = batches[: min(len(batches) - 1, max_runs)]
    by_attempt: dict[int, list[InboxEvent]] = {}
    for event in replayed:
        by_attempt.setdefault(event.attempts, []).append(event)
    requests = [
        request_for(batch, attempts)
        for attempts, same in sorted(by_attempt.items())
        for batch in plan_batches(same)
    ]
    requests += [request_for(batch, 0) for batch in batches]
    planned = [event for batch in batches for event in batch]
    return requests, advanced_cursor(after, upto, planned, complete)
