"""``demand_model``: the weekly demand model trained on the warehouse's played shows."""

import datetime as dt
import math
from pathlib import Path

import polars as pl
from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from promoteros_pipelines.defs.ticketing.assets import GROUP, OWNERS, ticket_sales
from promoteros_pipelines.defs.ticketing.demand_store import (
    UntrustedModelError,
    load_demand_model,
    save_demand_model,
)
from promoteros_pipelines.domain import ticketing_demand as demand
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MIN_SHOWS = 30
TRAIN_SHARE = 0.7

# One row per played show: the final count, and what was known at its on-sale.
PLAYED_SHOWS = """
SELECT s.show_id, s.venue_id, s.on_sale_at, s.show_date, s.capacity::float8 AS capacity,
       s.ticket_price::float8 AS ticket_price, v.typical_ticket_price::float8 AS typical_price,
       cardinality(ARRAY(SELECT unnest(a.genres) INTERSECT SELECT unnest(v.genres)))::float8
           AS genre_fit,
       (SELECT t.tickets_sold FROM promoteros.ticket_sales t WHERE t.show_id = s.show_id
        ORDER BY t.observed_at DESC LIMIT 1)::float8 / s.capacity AS final_sell_through,
       (SELECT count(*) FROM promoteros.viral_events e WHERE e.artist_id = s.artist_id
        AND e.detected_at < s.on_sale_at)::float8 AS viral_episodes,
       (SELECT c.listeners FROM promoteros.artist_city_audience c
        WHERE c.artist_id = s.artist_id AND c.city = v.city AND c.country = v.country
          AND c.observed_at <= s.on_sale_at
        ORDER BY c.observed_at DESC, c.listeners DESC LIMIT 1)::float8 AS market_listeners,
       (SELECT count(*) FROM promoteros.tour_dates d
        WHERE d.artist_id = s.artist_id AND d.city = v.city AND d.event_date < s.show_date
          AND d.event_date >= s.show_date - 120 AND d.fetched_at <= s.on_sale_at)::float8
           AS recent_dates,
       f.*
FROM promoteros.shows s
JOIN promoteros.venues v USING (venue_id)
LEFT JOIN promoteros.artists a USING (artist_id)
LEFT JOIN LATERAL (
    SELECT
      {followers}
) AS f ON true
WHERE {when} AND s.on_sale_at IS NOT NULL AND s.status <> 'cancelled'
ORDER BY s.on_sale_at, s.show_id
"""
FOLLOWERS_AT = """(SELECT m.value FROM promoteros.metric_observations m
        WHERE m.artist_id = s.artist_id AND m.platform = '{platform}' AND m.metric = 'followers'
          AND m.observed_at <= s.on_sale_at - interval '{days} days'
        ORDER BY m.observed_at DESC LIMIT 1) AS {name}"""


def _query(when: str = "s.show_date < $1") -> str:
    columns = [
        FOLLOWERS_AT.format(platform=p, days=days, name=f"{p}_{label}")
        for p in demand.PLATFORMS
        for days, label in ((0, "now"), (28, "before"))
    ]
    return PLAYED_SHOWS.format(followers=",\n      ".join(columns), when=when)


def expected_shares(warehouse: PostgresWarehouse) -> tuple[dict[str, float], str | None]:
    """The latest saved demand model's final sell-through for each upcoming show, and the
    model's version; empty (and None) when no model was trained or its file is refused."""
    latest = warehouse.read_frame(
        "SELECT path, version FROM promoteros.demand_models ORDER BY created_at DESC LIMIT 1"
    )
    if latest.is_empty():
        return {}, None
    try:
        model = load_demand_model(warehouse, Path(latest["path"][0]))
    except (UntrustedModelError, OSError):
        return {}, None
    upcoming = warehouse.read_frame(_query("s.show_date >= $1"), [dt.datetime.now(dt.UTC).date()])
    if upcoming.is_empty():
        return {}, str(latest["version"][0])
    predicted = demand.predict(model, features(upcoming))
    return dict(zip(predicted["show_id"], predicted["predicted"], strict=True)), str(
        latest["version"][0]
    )


def features(frame: pl.DataFrame) -> pl.DataFrame:
    """``demand.FEATURES`` from the warehouse columns (listeners in the venue's city from
    ``artist_city_audience``, other dates from ``tour_dates``, both as known at on-sale); an
    audience not observed before the on-sale counts as 0 (an all-missing column would break
    the trees' binning)."""
    day = pl.col("show_date").dt.ordinal_day() / 365.25 * 2 * math.pi
    frame = frame.with_columns(
        *(
            pl.col(f"{p}_now").cast(pl.Float64).log1p().alias(f"log_followers_{p}")
            for p in demand.PLATFORMS
        ),
        *(
            ((pl.col(f"{p}_now") + 1) / (pl.col(f"{p}_before") + 1)).log().alias(f"momentum_{p}")
            for p in ("spotify", "tiktok")
        ),
        pl.col("capacity").log().alias("log_capacity"),
        (pl.col("ticket_price") / pl.col("typical_price")).alias("price_ratio"),
        pl.col("show_date").dt.weekday().cast(pl.Float64).alias("weekday"),
        day.sin().alias("season_sin"),
        day.cos().alias("season_cos"),
        (
            (
                pl.col("show_date").cast(pl.Datetime("us", "UTC")) - pl.col("on_sale_at")
            ).dt.total_hours()
            / 24
        ).alias("days_on_sale"),
    )
    return demand.market_features(frame).with_columns(
        pl.col(demand.FEATURES).cast(pl.Float64).fill_nan(None).fill_null(0.0)
    )


@asset(group_name=GROUP, kinds={"scikit-learn", "postgres"}, owners=OWNERS, deps=[ticket_sales])
def demand_model(context: AssetExecutionContext, warehouse: PostgresWarehouse) -> MaterializeResult:
    """A show's final sell-through predicted from what is known when it goes on sale (artist
    audience and momentum per platform, viral history, genre fit, capacity, price, weekday,
    season, days on sale), so promoters can price and book with expected demand in hand.

    Trained weekly on played shows: scored on the later 30 % (by on-sale date) against the
    venue-mean and artist-tier-mean baselines, then refitted on all and saved with skops in
    the model store (`demand_models`). Fewer than 30 played shows: nothing is trained.
    """
    frame = warehouse.read_frame(_query(), [dt.datetime.now(dt.UTC).date()])
    played = frame.filter(pl.col(demand.TARGET).is_not_null())
    if played.height < MIN_SHOWS:
        context.log.info("Only %d played shows with sales; need %d", played.height, MIN_SHOWS)
        return MaterializeResult(
            metadata={
                "played_shows": MetadataValue.int(played.height),
                "trained": MetadataValue.bool(False),
            }
        )
    data = features(played).with_columns(pl.col(demand.TARGET).clip(0, 1))
    cut = int(data.height * TRAIN_SHARE)
    held_out = demand.fit(data.head(cut), demand.FEATURES)
    scores = demand.scores(demand.predict(held_out, data.slice(cut)))
    final = demand.fit(data, demand.FEATURES)
    version, path = save_demand_model(warehouse, final, scores)
    return MaterializeResult(
        metadata={
            "played_shows": MetadataValue.int(played.height),
            "trained": MetadataValue.bool(True),
            "version": MetadataValue.text(version),
            "path": MetadataValue.path(str(path)),
            **{key: MetadataValue.float(float(value)) for key, value in scores.items()},
            "feature_importances": MetadataValue.json(dict(list(final.importances.items())[:8])),
        }
    )


weekly_demand_model = ScheduleDefinition(
    name="demand_model_weekly",
    job=define_asset_job(
        "train_demand_model",
        selection=[demand_model],
        description="Retrain the demand model on the played shows and save it to the store.",
    ),
    cron_schedule="30 4 * * 1",
    description="Mondays 04:30 UTC: retrain the demand model on the shows played so far.",
)
