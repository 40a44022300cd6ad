"""``artist.watch`` webhooks, micro-batched into ``track_watched_artists`` runs.

A watch is rare one at a time, but a user bringing a history sends hundreds at once: one run
each queued 600 watches for two hours. Like ``scraper.metrics``, consecutive events share a
run (up to ``MAX_WATCHES_PER_RUN``); the run's tags list every event id, so the run status
sensors still file each event's status back. A payload that cannot become a watch request is
refused alone (marked dead with the reason) and never fails its batch.
"""

from collections.abc import Sequence
from typing import Any

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from promoteros_pipelines.defs.discovery.jobs import track_watched_artists
from promoteros_pipelines.defs.inbox.single_events import PayloadRefused, valid_payload
from promoteros_pipelines.defs.inbox.store import InboxEvent
from promoteros_pipelines.defs.inbox.ticks import (
    CADENCE,
    MINIMUM_INTERVAL_SECONDS,
    TickPlan,
    evaluate_tick,
    event_run_tags,
    run_key,
)
from promoteros_pipelines.events import ArtistWatch
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

EVENT_TYPE = "artist.watch"
# A run tracks its artists in one transaction, a few queries each, and asks Spotify for
# genres 50 ids a request: 200 watches is a run of a few seconds.
MAX_WATCHES_PER_RUN = 200
MAX_RUNS_PER_TICK = 25


def watch_request(event: InboxEvent) -> dict[str, Any]:
    """``artist.watch`` -> one of the ``tracked_artists`` asset's watch requests."""
    watch = valid_payload(EVENT_TYPE, event)
    assert isinstance(watch, ArtistWatch)
    return {
        "event_id": event.event_id,
        "artist_name": watch.artist_name,
        "platform_ids": dict(watch.platform_ids),
        **({"genres": list(watch.genres)} if watch.genres else {}),
    }


def watch_run_config(requests: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"ops": {"tracked_artists": {"config": {"watch_requests": list(requests)}}}}


def _batch_request(batch: list[tuple[InboxEvent, dict[str, Any]]], attempts: int) -> RunRequest:
    events = [event for event, _ in batch]
    first, last = events[0].event_id, events[-1].event_id
    return RunRequest(
        run_key=run_key(EVENT_TYPE, first, last if last != first else None, attempts),
        job_name=track_watched_artists.name,
        run_config=watch_run_config([request for _, request in batch]),
        tags=event_run_tags(EVENT_TYPE, events),
    )


def plan_watch_batches(
    events: Sequence[InboxEvent], max_per_run: int = MAX_WATCHES_PER_RUN
) -> TickPlan:
    """Consecutive valid watches in runs of up to ``max_per_run``; invalid ones refused.

    Events of the same attempt share runs (a replay's key names its attempt, and an event is
    handed out once per attempt, so a key ``artist.watch:first-last`` is never reused)."""
    plan = TickPlan()
    by_attempt: dict[int, list[tuple[InboxEvent, dict[str, Any]]]] = {}
    for event in events:
        try:
            request = watch_request(event)
        except PayloadRefused as error:
            plan.refused[event.event_id] = str(error)
            continue
        by_attempt.setdefault(event.attempts, []).append((event, request))
    for attempts, accepted in sorted(by_attempt.items()):
        for start in range(0, len(accepted), max_per_run):
            plan.requests.append(_batch_request(accepted[start : start + max_per_run], attempts))
    return plan


@sensor(
    name="artist_watch_events",
    job=track_watched_artists,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        f"{CADENCE}, batches the artist.watch webhooks that arrived (up to "
        f"{MAX_WATCHES_PER_RUN} a run) into track_watched_artists runs."
    ),
)
def artist_watch_events(
    context: SensorEvaluationContext, warehouse: PostgresWarehouse
) -> SensorResult | SkipReason:
    return evaluate_tick(
        context,
        warehouse,
        EVENT_TYPE,
        plan_watch_batches,
        limit=MAX_WATCHES_PER_RUN * MAX_RUNS_PER_TICK,
    )
