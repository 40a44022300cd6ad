"""``ticketing.sales`` webhooks, micro-batched like scraper metrics: a burst of 2,000 shows'
updates is a handful of runs, not 2,000.

Events the inbox parked as ``waiting`` before this area existed (and any a stale code
location parks meanwhile) are released to ``pending`` at each tick and run like replays, so
nothing sent before the deployment is lost. An event whose show has no capacity anywhere is
refused (marked dead) with a message naming the show.
"""

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
    mark_dead,
    read_inbox,
    release_waiting,
)
from promoteros_pipelines.defs.inbox.ticks import (
    CADENCE,
    MINIMUM_INTERVAL_SECONDS,
    event_run_tags,
    plan_batched_tick,
    read_cursor,
    run_key,
)
from promoteros_pipelines.defs.ticketing.assets import ASSET, ingest_ticket_sales
from promoteros_pipelines.defs.ticketing.store import (
    EVENT_TYPE,
    event_heads,
    shows_without_capacity,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MAX_EVENTS_PER_RUN = 200
MAX_RUNS_PER_TICK = 25
RELEASED = "released: the ticketing job now handles ticketing.sales"


def plan_batches(events: Sequence[InboxEvent], size: int = MAX_EVENTS_PER_RUN) -> list[list]:
    return [list(events[i : i + size]) for i in range(0, len(events), size)]


def batch_request(batch: Sequence[InboxEvent], attempts: int = 0) -> RunRequest:
    ids = [event.event_id for event in batch]
    return RunRequest(
        run_key=run_key(EVENT_TYPE, ids[0], ids[-1], attempts),
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
        request_for=batch_request,
        max_runs=MAX_RUNS_PER_TICK,
    )


def build_ticketing_sensor(job: Any) -> SensorDefinition:
    @sensor(
        name="ticketing_sales_events",
        job=job,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"{CADENCE}, batches the ticketing.sales webhooks that arrived (up to "
            f"{MAX_EVENTS_PER_RUN} events a run) into ingest_ticket_sales runs; releases "
            "events parked as waiting before the ticketing job existed."
        ),
    )
    def ticketing_sales_events(
        context: SensorEvaluationContext, warehouse: PostgresWarehouse
    ) -> SensorResult | SkipReason:
        after = read_cursor(context.cursor)
        released = release_waiting(warehouse, [EVENT_TYPE], RELEASED)
        if released:
            context.log.info("%d waiting ticketing.sales events released", released)
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
        fetched_all = len(events) < limit
        refused = shows_without_capacity(
            warehouse, event_heads(warehouse, [e.event_id for e in events])
        )
        for event_id, reason in refused.items():
            mark_dead(warehouse, [event_id], reason)
            context.log.warning("Event %d refused: %s", event_id, reason)
        runnable = [event for event in events if event.event_id not in refused]
        requests, cursor = plan_tick(runnable, after, upto, fetched_all)
        if not requests:
            return SensorResult(
                skip_reason=SkipReason(
                    f"No ticketing.sales events to run after event {after} (inbox at {upto});"
                    f" {len(refused)} refused."
                ),
                cursor=str(cursor),
            )
        return SensorResult(run_requests=requests, cursor=str(cursor))

    return ticketing_sales_events


ticketing_sales_events = build_ticketing_sensor(ingest_ticket_sales)
