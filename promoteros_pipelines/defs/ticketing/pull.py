"""The periodic pull from a ticketing API, for systems that do not send webhooks (or to catch
what a webhook missed). Same store path as the webhooks, so milestones still file once."""

import datetime as dt
from typing import Any

from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    asset,
    define_asset_job,
    schedule,
)

from promoteros_pipelines.defs.metadata import FILES_INTO
from promoteros_pipelines.defs.ticketing.assets import GROUP, OWNERS
from promoteros_pipelines.defs.ticketing.store import store_sales
from promoteros_pipelines.resources.ticketing_api import URL_ENV, TicketingApi
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


def event_to_rows(
    event: dict[str, Any], served_at: dt.datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One Eventbrite-shaped event -> (show head, curve point at ``served_at``): sold and
    capacity summed over its ticket classes, gross at each class's price."""
    classes = event.get("ticket_classes") or []
    sold = sum(int(c.get("quantity_sold") or 0) for c in classes)
    total = sum(int(c.get("quantity_total") or 0) for c in classes)
    costs = [c.get("cost") or {} for c in classes]
    gross = sum(
        int(c.get("quantity_sold") or 0) * int(cost.get("value") or 0) / 100
        for c, cost in zip(classes, costs, strict=True)
    )
    currency = next((cost.get("currency") for cost in costs if cost.get("currency")), None)
    prices = [int(cost["value"]) / 100 for cost in costs if cost.get("value") is not None]
    starts = (event.get("start") or {}).get("utc")
    sales_start = [c.get("sales_start") for c in classes if c.get("sales_start")]
    head = {
        "show_id": str(event["id"]),
        "venue_slug": (event.get("venue") or {}).get("slug"),
        "artist_name": (event.get("performer") or {}).get("name"),
        "show_date": dt.datetime.fromisoformat(starts).date() if starts else None,
        "capacity": int(event.get("capacity") or total) or None,
        "on_sale_at": dt.datetime.fromisoformat(min(sales_start)) if sales_start else None,
        "ticket_price": min(prices) if prices else None,
        "currency": currency,
    }
    point = {
        "event_id": None,
        "show_id": head["show_id"],
        "observed_at": served_at,
        "tickets_sold": sold,
        "gross": round(gross, 2),
        "currency": currency,
    }
    return head, point


@asset(
    group_name=GROUP, kinds={"python", "postgres"}, owners=OWNERS, metadata={FILES_INTO: "alerts"}
)
def ticketing_api_sales(
    context: AssetExecutionContext, warehouse: PostgresWarehouse, ticketing_api: TicketingApi
) -> MaterializeResult:
    """Shows and their sales read from the ticketing API (Eventbrite-v3 shape, every page),
    one curve point per show per pull, stored like the `ticketing.sales` webhooks: into
    `shows` and `ticket_sales`, with milestones filed once in `show_milestones`."""
    if not ticketing_api.configured:
        context.log.info("No ticketing API configured (%s): nothing to pull", URL_ENV)
        return MaterializeResult(metadata={"shows": MetadataValue.int(0)})
    heads: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for organisation_id in ticketing_api.organisation_ids():
        events, served_at = ticketing_api.events(organisation_id)
        for event in events:
            head, point = event_to_rows(event, served_at)
            heads.append(head)
            points.append(point)
    outcome = store_sales(warehouse, heads, points) if heads else None
    return MaterializeResult(
        metadata={
            "shows": MetadataValue.int(len(heads)),
            "observations_inserted": MetadataValue.int(
                outcome.observations_inserted if outcome else 0
            ),
            "milestones_filed": MetadataValue.int(len(outcome.milestones_filed) if outcome else 0),
        }
    )


pull_ticketing_api = define_asset_job(
    "pull_ticketing_api",
    selection=[ticketing_api_sales],
    description="Read every show's sales from the configured ticketing API.",
)


@schedule(
    job=pull_ticketing_api,
    cron_schedule="*/15 * * * *",
    name="ticketing_api_every_15_minutes",
    description=f"Every 15 minutes when a ticketing API is configured ({URL_ENV}).",
)
def ticketing_api_every_15_minutes(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    if not TicketingApi.from_env().configured:
        return SkipReason(f"No ticketing API configured ({URL_ENV} and organisations unset).")
    return RunRequest()
