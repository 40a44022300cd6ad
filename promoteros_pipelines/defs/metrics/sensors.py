"""``scraper.metrics`` webhooks, micro-batched: a burst of 10,000 events is ~20 runs, not 10,000."""

from collections.abc import Sequence
from typing import Any

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from promoteros_pipelines.defs.inbox.store import (
    InboxBusy,
    InboxEvent,
    read_inbox,
)
from promoteros_pipelines.defs.inbox.ticks import (
    CADENCE,
    MINIMUM_INTERVAL_SECONDS,
    event_run_tags,
    plan_batched_tick,
    read_cursor,
    run_key,
)
from promoteros_pipelines.defs.metrics.scraper import ingest_scraper_metrics
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

EVENT_TYPE = "scraper.metrics"
ASSET = "scraper_metrics"
# A run stays well inside memory and a few seconds of upsert at either cap.
MAX_EVENTS_PER_RUN = 500
MAX_OBSERVATIONS_PER_RUN = 200_000
MAX_RUNS_PER_TICK = 25


def plan_batches(
    events: Sequence[InboxEvent],
    max_events: int = MAX_EVENTS_PER_RUN,
    max_observations: int = MAX_OBSERVATIONS_PER_RUN,
) -> list[list[InboxEvent]]:
    """Cut consecutive events into batches under both caps (an oversized event runs alone)."""
    batches: list[list[InboxEvent]] = []
    current: list[InboxEvent] = []
    observations = 0
    for event in events:
        if current and (
            len(current) >= max_events or observations + event.observations > max_observations
        ):
            batches.append(current)
            current, observations = [], 0
        current.append(event)
        observations += event.observations
    if current:
        batches.append(current)
    return batches


def batch_run_request(batch: Sequence[InboxEvent], replay_attempts: int = 0) -> RunRequest:
    ids = [event.event_id for event in batch]
    return RunRequest(
        run_key=run_key(EVENT_TYPE, ids[0], ids[-1], replay_attempts),
        run_config={"ops": {ASSET: {"config": {"event_ids": ids}}}},
        tags=event_run_tags(EVENT_TYPE, batch),
    )


def plan_tick(
    events: Sequence[InboxEvent], after: int, upto: int, fetched_all: bool
) -> tuple[list[RunRequest], int]:
    """Run requests for one tick and the cursor after it (``plan_batched_tick``)."""
    return plan_batched_tick(
        events,
        after,
        upto,
        fetched_all,
        plan_batches=plan_batches,
        request_for=batch_run_request,
        max_runs=MAX_RUNS_PER_TICK,
    )


def build_scraper_metrics_sensor(job: Any) -> SensorDefinition:
    @sensor(
        name="scraper_metrics_events",
        job=job,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"{CADENCE}, batches the scraper.metrics webhooks that arrived (up to "
            f"{MAX_EVENTS_PER_RUN} events or {MAX_OBSERVATIONS_PER_RUN:,} observations a run) "
            "into ingest_scraper_metrics runs."
        ),
    )
    def scraper_metrics_events(
        context: SensorEvaluationContext, warehouse: PostgresWarehouse
    ) -> SensorResult | SkipReason:
        after = read_cursor(context.cursor)
        limit = MAX_EVENTS_PER_RUN * MAX_RUNS_PER_TICK
        try:
            upto, events = read_inbox(
                warehouse,
                [EVENT_TYPE],
                after,
                include_waiting=False,
                with_payload=False,
                limit=limit,
            )
        except InboxBusy as busy:
            return SkipReason(f"{busy}; trying again next tick")
        requests, cursor = plan_tick(events, after, upto, fetched_all=len(events) < limit)
        if not requests:
            return SensorResult(
                skip_reason=SkipReason(
                    f"No scraper.metrics events pending after event {after} (inbox is at {upto})."
                ),
                cursor=str(cursor),
            )
        context.log.info(
            "%d runs for %d scraper.metrics events; cursor %d -> %d",
            len(requests),
            len(events),
            after,
            cursor,
        )
        return SensorResult(run_requests=requests, cursor=str(cursor))

    return scraper_metrics_events


scraper_metrics_events = build_scraper_metrics_sensor(ingest_scraper_metrics)
