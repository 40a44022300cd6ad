"""Ticket sales that arrived by ``ticketing.sales`` webhook: shows, their sales curve, and
the milestones they reached, each filed once as an alert."""

import time

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    Config,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
    define_asset_job,
    in_process_executor,
)
from pydantic import Field

from promoteros_pipelines.defs.inbox.store import format_event_ids
from promoteros_pipelines.defs.metadata import FILES_INTO
from promoteros_pipelines.defs.ticketing.store import store_batch
from promoteros_pipelines.domain.ticketing import milestone_label
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

GROUP = "ticketing"
KINDS = {"postgres", "polars"}
OWNERS = ["team:data-platform"]
ASSET = "ticket_sales"


class TicketSalesConfig(Config):
    """Which stored ``ticketing.sales`` webhook events this run ingests (set by the sensor)."""

    event_ids: list[int] = Field(description="webhook_events.event_id values to ingest.")


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=["webhook_events"],
    metadata={FILES_INTO: "alerts"},
    retry_policy=RetryPolicy(max_retries=2, delay=5),
)
def ticket_sales(
    context: AssetExecutionContext, config: TicketSalesConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """Sales reported by the ticketing systems (`ticketing.sales` webhooks): each show
    (`shows`), its cumulative sales curve (`ticket_sales`) and the 50/75/90 % and sold-out
    milestones it reached (`show_milestones`), so venues see how their shows sell.

    Keyed by (show, observed_at): the same webhook twice, or out of order, changes nothing; a
    lower count (a refund) is kept and flagged, never written over the earlier point. Each
    milestone is filed once per show as a `milestone` alert (several reached at once share
    one alert), routed to the venue's manager, executives and ops.
    """
    started = time.monotonic()
    outcome = store_batch(warehouse, config.event_ids)
    if outcome.conflicting:
        context.log.warning(
            "%d observations repeat a stored moment with another count; the first is kept: %s",
            len(outcome.conflicting),
            outcome.conflicting[:5],
        )
    if outcome.unroutable:
        context.log.warning(
            "Milestones recorded without an alert (no known venue to route to): %s",
            outcome.unroutable[:20],
        )
    filed = ", ".join(
        f"{m['show_id']} {milestone_label(int(m['milestone']))}"
        for m in outcome.milestones_filed[:30]
    )
    return MaterializeResult(
        metadata={
            "events": MetadataValue.int(len(config.event_ids)),
            "event_ids": MetadataValue.text(format_event_ids(config.event_ids)),
            "shows": MetadataValue.int(outcome.shows),
            "observations_received": MetadataValue.int(outcome.observations_received),
            "observations_inserted": MetadataValue.int(outcome.observations_inserted),
            "observations_conflicting_kept_first": MetadataValue.int(len(outcome.conflicting)),
            "refund_flags_changed": MetadataValue.int(outcome.refunds_flagged),
            "milestones_filed": MetadataValue.int(len(outcome.milestones_filed)),
            "milestones": MetadataValue.text(filed or "none"),
            "milestone_alerts_filed": MetadataValue.int(outcome.alerts_filed),
            "shows_without_venue": MetadataValue.int(len(outcome.unroutable)),
            "duration_seconds": MetadataValue.float(round(time.monotonic() - started, 3)),
        }
    )


ingest_ticket_sales = define_asset_job(
    "ingest_ticket_sales",
    selection=AssetSelection.assets(ticket_sales),
    description="Ingest a micro-batch of ticketing.sales webhooks (started by a sensor).",
    tags={"promoteros/event_type": "ticketing.sales"},
    executor_def=in_process_executor,
)
