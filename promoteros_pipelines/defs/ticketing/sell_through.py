"""``show_sell_through``: how every upcoming show sells, its forecast, and the shows at risk."""

import datetime as dt

import polars as pl
from dagster import (
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from pydantic import Field

from promoteros_pipelines.defs.metadata import FILES_INTO, preview_table
from promoteros_pipelines.defs.ticketing.assets import GROUP, OWNERS, ticket_sales
from promoteros_pipelines.defs.ticketing.demand import expected_shares
from promoteros_pipelines.defs.ticketing.sell_through_store import (
    mark_played,
    read_inputs,
    read_rollup,
    write_sell_through,
)
from promoteros_pipelines.domain.ticketing import sell_through
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


class SellThroughConfig(Config):
    """When a show counts as at risk, and (for replays and tests) the moment to compute at."""

    risk_level: float = Field(
        default=0.6, ge=0, le=1, description="Forecast sell-through below this is a risk."
    )
    risk_days: float = Field(default=14, ge=0, description="Only shows this many days out.")
    as_of: str | None = Field(default=None, description="ISO time to compute at; now if unset.")


@asset(
    group_name=GROUP,
    kinds={"polars", "postgres"},
    owners=OWNERS,
    deps=[ticket_sales],
    metadata={FILES_INTO: "alerts"},
)
def show_sell_through(
    context: AssetExecutionContext, config: SellThroughConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """How each upcoming show is selling, for venue managers and the weekly report: tickets
    sold, sell-through (of capacity), gross, sales velocity (tickets per hour over the last
    24 h and 7 days, net of refunds), days to show, and a sell-out forecast (date and
    probability) from the curve so far and the demand model. Roll-ups per venue and
    organisation are the views `venue_sell_through` and `organisation_sell_through`.

    A show whose forecast sell-through is below `risk_level` (60 %) within `risk_days` (14) of
    the show files one `risk` alert (once per show), routed to its venue's manager and ops.
    Shows dated before today move to `played` here (their figures are final and they leave
    this table); `cancelled` shows are left out too. When a demand model has been trained
    its expected final share is averaged with the curve's projection.
    """
    now = dt.datetime.fromisoformat(config.as_of) if config.as_of else dt.datetime.now(dt.UTC)
    played = mark_played(warehouse, now.date())
    shows, curve = read_inputs(warehouse, now)
    expected, model_version = expected_shares(warehouse)
    frame = sell_through(
        shows.select("show_id", "organisation_id", "venue_id", "capacity", "show_date"),
        curve,
        now,
        risk_level=config.risk_level,
        risk_days=config.risk_days,
        expected=expected,
    )
    written, alerted = write_sell_through(warehouse, frame, shows, now, config.risk_level)
    if alerted:
        context.log.info("Risk alerts filed for %s", alerted[:20])
    venues = pl.DataFrame(read_rollup(warehouse, "venue_sell_through"))
    named = shows.select("venue_id", "venue").unique("venue_id")
    per_venue = (
        venues.join(named, on="venue_id", how="left").select(
            "venue",
            "shows",
            "sold",
            "capacity",
            pl.col("sell_through").cast(pl.Float64),
            "shows_at_risk",
        )
        if venues.height
        else venues
    )
    return MaterializeResult(
        metadata={
            "shows": MetadataValue.int(written),
            "shows_marked_played": MetadataValue.int(played),
            "shows_at_risk": MetadataValue.int(int(frame["at_risk"].sum()) if written else 0),
            "risk_alerts_filed": MetadataValue.int(len(alerted)),
            "demand_model": MetadataValue.text(model_version or "none trained yet"),
            "shows_with_demand_forecast": MetadataValue.int(
                len(set(expected) & set(frame["show_id"].to_list()))
            ),
            "computed_at": MetadataValue.text(f"{now:%Y-%m-%d %H:%M} UTC"),
            "per_venue": preview_table(per_venue, percent=["sell_through"])
            if per_venue.height
            else MetadataValue.text("no shows"),
        }
    )


refresh_sell_through = define_asset_job(
    "refresh_show_sell_through",
    selection=[show_sell_through],
    description="Recompute every upcoming show's sell-through, forecast and risk.",
)
sell_through_hourly = ScheduleDefinition(
    name="show_sell_through_hourly",
    job=refresh_sell_through,
    cron_schedule="17 * * * *",
    description="Hourly: velocities and forecasts move with the clock even without new sales.",
)
