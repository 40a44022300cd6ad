"""``booking_opportunities``: pairs above the threshold, with the recommendation a venue
manager acts on, every 2 hours."""

import datetime as dt
import json
from typing import Any

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetKey,
    Config,
    DefaultScheduleStatus,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from pydantic import Field

from promoteros_pipelines.defs.alerts.store import Alert, file_alert
from promoteros_pipelines.defs.booking import opportunity_inputs as inputs
from promoteros_pipelines.defs.booking import opportunity_store as store
from promoteros_pipelines.defs.booking.offers import prepare_offer
from promoteros_pipelines.defs.metadata import FILES_INTO, preview_table, table_facts
from promoteros_pipelines.domain.booking_offer import (
    DEFAULT_THRESHOLD,
    competition_summary,
    proposed_window,
    wants_offer,
)
from promoteros_pipelines.domain.booking_projection import ProjectionInputs, project
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

GROUP = "booking"
OWNERS = ["team:booking"]
SHOWN = 15
# refreshed every 2 hours: one missed run warns, two fail
EVERY_2_HOURS = FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=6), warn_window=dt.timedelta(hours=4)
)


class OpportunityConfig(Config):
    """Which scores become opportunities."""

    threshold: float = Field(
        default=DEFAULT_THRESHOLD, ge=0, le=100, description="Lowest booking score (0-100)."
    )


def recommend(
    warehouse: PostgresWarehouse, pair: dict[str, Any], today: dt.date, model: Any = None
) -> dict[str, Any] | None:
    """The opportunity row of one scored pair, or None when the venue has no open dates."""
    venue = {**pair, "venue_id": pair["venue_id"]}
    nearby = inputs.nearby_tour_dates(warehouse, pair["artist_id"], venue, today)
    window = proposed_window(
        today,
        inputs.booked_dates(warehouse, pair["venue_id"], today),
        [row["event_date"] for row in nearby],
    )
    if window is None:
        return None
    components = pair["components"] or {}
    if isinstance(components, str):  # jsonb arrives as text through ADBC
        components = json.loads(components)
    estimate = inputs.demand_estimate(
        warehouse, pair["artist_id"], pair["venue_id"], window.start, model, components
    )
    projection = project(
        ProjectionInputs(
            capacity=int(pair["capacity"]),
            ticket_price=float(pair["ticket_price"]),
            fixed_cost=float(pair["fixed_cost"]),
            cost_per_head=float(pair["cost_per_head"]),
            expected_share=estimate.share,
            share_mae=estimate.mae,
            demand_source=estimate.source,
            currency=pair["currency"],
        )
    )
    shows, ours = inputs.market_shows(warehouse, pair["artist_id"], venue, today)
    routing = {
        "radius_km": inputs.ROUTING_RADIUS_KM,
        "nearby_dates": [{**row, "event_date": row["event_date"].isoformat()} for row in nearby],
        "score_component": components.get("routing"),
        # the scoring asset's own routing evidence (its nearest tour date to an open date)
        "scoring_evidence": {
            key: components[key]
            for key in ("routing_km", "routing_city", "routing_date", "open_date")
            if components.get(key) is not None
        },
        "evidence": (
            f"{pair['artist']} plays {len(nearby)} date(s) within "
            f"{inputs.ROUTING_RADIUS_KM:.0f} km of {pair['venue']} in the next months"
            if nearby
            else f"no announced date within {inputs.ROUTING_RADIUS_KM:.0f} km of {pair['venue']}"
        ),
    }
    fee = projection["fee"]
    break_even = projection["break_even_attendance"]
    summary = (
        f"Book {pair['artist']} at {pair['venue']} between {window.start} and {window.end} "
        f"({window.reason}). Expected {projection['scenarios']['p50']['attendance']:,} of "
        f"{int(pair['capacity']):,}, gross {projection['expected_gross']:,.0f} {pair['currency']};"
        f" offer a guarantee of {fee['guarantee_low']:,.0f}-{fee['guarantee_high']:,.0f} "
        f"{pair['currency']}; break-even at {f'{break_even:,}' if break_even else 'no'} tickets."
    )
    return {
        "artist_id": pair["artist_id"],
        "venue_id": pair["venue_id"],
        "organisation_id": pair["organisation_id"],
        "score": pair["score"],
        "window_start": window.start,
        "window_end": window.end,
        "routing": routing,
        "projection": projection,
        "recommendation": {
            "summary": summary,
            "window_reason": window.reason,
            "score_explanation": pair["explanation"],
            "score_components": components,
            "model_version": pair["model_version"],
            "scored_at": pair["scored_at"].isoformat(),
            "competition": competition_summary(pair["artist"], pair["city"], shows, ours),
        },
    }


def _alert(pair: dict[str, Any], row: dict[str, Any], opportunity_id: int) -> Alert:
    p50 = row["projection"]["scenarios"]["p50"]
    return Alert(
        alert_type="booking",
        severity="warning" if wants_offer(pair["score"]) else "info",
        subject=(
            f"Booking opportunity: {pair['artist']} at {pair['venue']}, "
            f"{row['window_start']} to {row['window_end']} (score {pair['score']:.0f})"
        ),
        dedupe_key=f"booking:opportunity:{opportunity_id}",
        evidence={
            "opportunity_id": opportunity_id,
            "artist_id": pair["artist_id"],
            "artist": pair["artist"],
            "venue_id": pair["venue_id"],
            "venue": pair["venue"],
            "score": pair["score"],
            "expected_attendance": p50["attendance"],
            "expected_gross": p50["gross"],
            "summary": row["recommendation"]["summary"],
            "command": f"promoteros booking show {opportunity_id}",
            # what the alert's mail and in-app text show under the subject
            "explanation": f"{row['recommendation']['summary']}\n\nWhy: "
            f"{row['recommendation']['score_explanation']}\n\n"
            f"Details: promoteros booking show {opportunity_id}",
        },
        organisation_id=pair["organisation_id"],
    )


def file_with_alert(warehouse: PostgresWarehouse, pair: dict[str, Any], row: dict[str, Any]):
    """File (or refresh) the opportunity and, when it is new, its alert, in one transaction."""
    with warehouse.connect() as conn:
        filed = store.file_opportunity(conn, row)
        if filed is not None and filed.created:
            alert = _alert(pair, row, filed.opportunity_id)
            file_alert(conn, alert)
            found = conn.execute(
                "SELECT alert_id FROM promoteros.alerts WHERE dedupe_key = %s",
                (alert.dedupe_key,),
            ).fetchone()
            store.set_alert(conn, filed.opportunity_id, found[0] if found else None)
    return filed


def top_table(warehouse: PostgresWarehouse) -> pl.DataFrame:
    rows = store.list_opportunities(warehouse, live_only=True, limit=SHOWN)
    return pl.DataFrame(
        {
            "opportunity_id": [r["id"] for r in rows],
            "artist_id": [r["artist_id"] for r in rows],
            "artist": [r["artist"] for r in rows],
            "venue": [r["venue"] for r in rows],
            "score": [r["score"] for r in rows],
            "status": [r["status"] for r in rows],
            "window": [f"{r['window_start']} to {r['window_end']}" for r in rows],
            "expected_gross": [r["projection"].get("expected_gross") for r in rows],
            "currency": [r["currency"] for r in rows],
        },
        schema_overrides={"expected_gross": pl.Float64, "score": pl.Float64},
    )


def markdown(frame: pl.DataFrame) -> str:
    """The top opportunities as a markdown table (names beside ids, numbers rounded)."""
    if frame.is_empty():
        return "No live booking opportunity."
    lines = [
        "| id | artist (id) | venue | score | status | window | expected gross |",
        "|---:|---|---|---:|---|---|---:|",
    ]
    for r in frame.iter_rows(named=True):
        artist = str(r["artist"]).replace("|", "\\|")
        venue = str(r["venue"]).replace("|", "\\|")
        gross = f"{r['expected_gross'] or 0:,.0f} {r['currency']}"
        lines.append(
            f"| {r['opportunity_id']} | {artist} ({r['artist_id']}) | {venue} | "
            f"{r['score']:.0f} | {r['status']} | {r['window']} | {gross} |"
        )
    return "\n".join(lines)


@asset(
    name="booking_opportunities",
    group_name=GROUP,
    kinds={"polars", "postgres"},
    owners=OWNERS,
    deps=[AssetKey("booking_scores")],
    freshness_policy=EVERY_2_HOURS,
    metadata={FILES_INTO: "alerts", "dagster/table_name": "promoteros.booking_opportunities"},
    description=(
        "Artist-venue pairs whose latest booking score is 80 or more (configurable), each with "
        "a recommendation: an open date window at the venue, the tour dates nearby that make "
        "it cheap, the artist's other shows in the market, and a financial projection "
        "(attendance P10/P50/P90, gross, venue costs, a suggested fee, break-even and margin) "
        "with its assumptions. At most one live opportunity per artist and venue. A new one "
        "alerts the venue's manager; above 90 an offer PDF waits for approval before it goes "
        "to the artist's management. See `promoteros booking list`."
    ),
)
def booking_opportunities(
    context: AssetExecutionContext, config: OpportunityConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    today = dt.datetime.now(dt.UTC).date()
    pairs = inputs.latest_scores(warehouse, config.threshold)
    model = inputs.load_model(warehouse)
    created = refreshed = no_window = offers = 0
    for pair in pairs.iter_rows(named=True):
        row = recommend(warehouse, pair, today, model)
        if row is None:
            no_window += 1
            continue
        filed = file_with_alert(warehouse, pair, row)
        if filed is None:
            continue
        created += filed.created
        refreshed += not filed.created
        if wants_offer(pair["score"]) and prepare_offer(warehouse, filed.opportunity_id):
            offers += 1
    context.log.info(
        "%d pairs at or above %.0f: %d new opportunities, %d refreshed, %d offers filed for "
        "approval, %d without an open date",
        pairs.height, config.threshold, created, refreshed, offers, no_window,
    )  # fmt: skip
    top = top_table(warehouse)
    return MaterializeResult(
        metadata={
            **table_facts(warehouse, "booking_opportunities"),
            "pairs_above_threshold": pairs.height,
            "threshold": MetadataValue.float(config.threshold),
            "new_opportunities": created,
            "refreshed": refreshed,
            "offers_waiting_for_approval": offers,
            "pairs_without_open_date": no_window,
            "top_opportunities": MetadataValue.md(markdown(top)),
            "top_opportunities_table": preview_table(top, limit=SHOWN),
        }
    )


booking_opportunities_every_2_hours = ScheduleDefinition(
    name="booking_opportunities_every_2_hours",
    job=define_asset_job(
        "booking_opportunities_job",
        selection=[booking_opportunities],
        description="Turn the latest booking scores above the threshold into opportunities.",
    ),
    cron_schedule="45 */2 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every 2 hours (at :45, half an hour after the scores): files booking "
    "opportunities.",
)
