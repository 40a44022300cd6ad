"""``promoteros evaluate demand``: the demand model against a simulated world's shows.

The world's shows are ordered by on-sale date; the model trains on the first 70 % and
predicts the rest (a time-based split: nothing from the future leaks into training). What
the model sees is what a promoter knows at on-sale, read from the world as the platforms
would report it (``metrics_at`` on the Monday before the on-sale day); the truth is the
world's final sell-through. The simulator is not tuned to the model.
"""

import datetime as dt
import math
from typing import Any

import numpy as np
import polars as pl

from promoteros_pipelines.domain import ticketing_demand as demand
from promoteros_pipelines.simulator import World, generate_world, metrics_at
from promoteros_pipelines.simulator.audience import city_listeners_at
from promoteros_pipelines.simulator.touring import ticket_sales_at

TRAIN_SHARE = 0.7


def _week_start(moment: dt.datetime) -> dt.datetime:
    day = moment.date() - dt.timedelta(days=moment.weekday())
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _audience(world: World, moments: list[dt.datetime]) -> pl.DataFrame:
    """Followers per (artist, platform) at each moment and 28 days before."""
    frames = []
    for moment in moments:
        for offset, name in ((0, "now"), (28, "before")):
            metrics = metrics_at(world, moment - dt.timedelta(days=offset)).filter(
                pl.col("metric") == "followers"
            )
            frames.append(
                metrics.select("artist_id", "platform", "value").with_columns(
                    pl.lit(moment).alias("as_of"), pl.lit(name).alias("when")
                )
            )
    return pl.concat(frames)


def show_features(world: World) -> pl.DataFrame:
    """One row per show: ``demand.FEATURES``, the early-sales feature, venue, truth."""
    shows = world.shows.with_columns(
        pl.col("on_sale_at")
        .map_elements(_week_start, return_dtype=pl.Datetime("us", "UTC"))
        .alias("as_of")
    )
    audience = _audience(world, sorted(set(shows["as_of"].to_list())))
    wide = audience.pivot(on=["platform", "when"], index=["artist_id", "as_of"], values="value")
    frame = shows.join(wide, on=["artist_id", "as_of"], how="left")
    for platform in demand.PLATFORMS:
        column = f'{{"{platform}","now"}}'
        frame = frame.with_columns(
            pl.col(column).fill_null(0).log1p().alias(f"log_followers_{platform}")
            if column in frame.columns
            else pl.lit(0.0).alias(f"log_followers_{platform}")
        )
    for platform in ("spotify", "tiktok"):
        now, before = f'{{"{platform}","now"}}', f'{{"{platform}","before"}}'
        frame = frame.with_columns(
            ((pl.col(now).fill_null(0) + 1) / (pl.col(before).fill_null(0) + 1))
            .log()
            .alias(f"momentum_{platform}")
        )
    episodes = world.episodes.select("artist_id", pl.col("start").alias("episode_start"))
    viral = (
        frame.select("show_id", "artist_id", "on_sale_at")
        .join(episodes, on="artist_id", how="left")
        .group_by("show_id")
        .agg((pl.col("episode_start") < pl.col("on_sale_at")).sum().alias("viral_episodes"))
    )
    venues = world.venues.select(
        "venue_id", "city", pl.col("genres").alias("venue_genres"), "typical_ticket_price"
    )
    artists = world.artists.select("artist_id", "genres")
    frame = (
        frame.join(viral, on="show_id")
        .join(venues, on="venue_id")
        .join(artists, on="artist_id")
        .join(market_listeners(world, frame), on="show_id", how="left")
        .join(recent_dates(world), on="show_id", how="left")
    )
    for days in demand.EARLY_DAYS:
        frame = frame.join(ticket_sales_at_each(world.shows, days), on="show_id", how="left")
    frame = frame.with_columns(
        pl.col("genres")
        .list.set_intersection("venue_genres")
        .list.len()
        .cast(pl.Float64)
        .alias("genre_fit"),
        pl.col("capacity").log().alias("log_capacity"),
        (pl.col("ticket_price") / pl.col("typical_ticket_price")).alias("price_ratio"),
        pl.col("starts_at").dt.weekday().cast(pl.Float64).alias("weekday"),
        (pl.col("starts_at").dt.ordinal_day() / 365.25 * 2 * math.pi).sin().alias("season_sin"),
        (pl.col("starts_at").dt.ordinal_day() / 365.25 * 2 * math.pi).cos().alias("season_cos"),
        ((pl.col("starts_at") - pl.col("on_sale_at")).dt.total_hours() / 24).alias("days_on_sale"),
        pl.col("viral_episodes").cast(pl.Float64),
    )
    return demand.market_features(frame).sort("on_sale_at", "show_id")


def market_listeners(world: World, shows: pl.DataFrame) -> pl.DataFrame:
    """Each show's artist's listeners in its venue's city at ``as_of`` (the Monday before the
    on-sale), as the audience-by-city endpoint reports them (null: the city is not listed)."""
    cities = shows.select("show_id", "artist_id", "as_of", "venue_id").join(
        world.venues.select("venue_id", "city"), on="venue_id"
    )
    parts = [
        group.join(
            city_listeners_at(world, key[0]).select("artist_id", "city", "listeners"),  # type: ignore[arg-type]
            on=["artist_id", "city"],
            how="left",
        ).select("show_id", pl.col("listeners").cast(pl.Float64).alias("market_listeners"))
        for key, group in cities.partition_by("as_of", as_dict=True).items()
    ]
    return pl.concat(parts)


def recent_dates(world: World) -> pl.DataFrame:
    """Per show: the artist's other dates in the same city in the 120 days before it that
    were announced (on sale) by the show's own on-sale."""
    dates = world.tour_dates.join(world.venues.select("venue_id", "city"), on="venue_id")
    shows = world.shows.join(world.venues.select("venue_id", "city"), on="venue_id").select(
        "show_id", "artist_id", "city", "starts_at", "on_sale_at"
    )
    pairs = shows.join(
        dates.select(
            "artist_id",
            "city",
            pl.col("starts_at").alias("other_at"),
            pl.col("on_sale_at").alias("other_on_sale"),
        ),
        on=["artist_id", "city"],
    ).filter(
        pl.col("other_at") < pl.col("starts_at"),
        pl.col("other_at") >= pl.col("starts_at") - dt.timedelta(days=120),
        pl.col("other_on_sale") <= pl.col("on_sale_at"),
    )
    return pairs.group_by("show_id").agg(pl.len().cast(pl.Float64).alias("recent_dates"))


def ticket_sales_at_each(shows: pl.DataFrame, days: int) -> pl.DataFrame:
    """Each show's share sold ``days`` after its on-sale (the first sales an update sees),
    as the world's ticketing system reports it (``ticket_sales_at``, one moment per show), in
    ``demand.early_feature(days)``."""
    moments = shows.with_columns(
        (pl.col("on_sale_at") + dt.timedelta(days=days)).alias("moment")
    ).partition_by("moment", as_dict=True)
    parts = [
        ticket_sales_at(group, key[0]).select(  # type: ignore[arg-type]
            "show_id",
            (pl.col("tickets_sold") / pl.col("capacity")).alias(demand.early_feature(days)),
        )
        for key, group in moments.items()
    ]
    return pl.concat(parts)


def evaluate_demand(seed: int, n_artists: int = 2000) -> dict[str, Any]:
    """Scores at on-sale (the contract's keys, ``mae`` among them), the MAE of the update
    after each of ``demand.EARLY_DAYS`` days on sale (``mae_after_N_days_on_sale``), and
    more under ``details``."""
    world = generate_world(seed=seed, n_artists=n_artists)
    return evaluate_frame(show_features(world), seed)


def evaluate_frame(frame: pl.DataFrame, seed: int = 0) -> dict[str, Any]:
    """Train on the first ``TRAIN_SHARE`` of ``frame`` (ordered by on-sale) and score the
    rest: the model at on-sale, updated after ``EARLY_DAYS`` days, and both baselines."""
    cut = int(frame.height * TRAIN_SHARE)
    train, test = frame.head(cut), frame.slice(cut)
    at_on_sale = demand.fit(train, demand.FEATURES, seed)
    scored = demand.scores(demand.predict(at_on_sale, test))
    updates = {}
    for days in demand.EARLY_DAYS:
        if demand.early_feature(days) in frame.columns:
            model = demand.fit(train, [*demand.FEATURES, demand.early_feature(days)], seed)
            updates[days] = demand.scores(demand.predict(model, test))
    better = min(scored["baseline_venue_mae"], scored["baseline_tier_mae"])
    return {
        **{key: scored[key] for key in ("mae", "baseline_venue_mae", "baseline_tier_mae")},
        "brier": scored["brier"],
        "shows": scored["shows"],
        "ratio_to_better_baseline": round(float(scored["mae"]) / better, 3),
        **{f"mae_after_{days}_days_on_sale": s["mae"] for days, s in updates.items()},
        "details": {
            "seed": seed,
            "train_shows": train.height,
            "r2": scored["r2"],
            "updates": updates,
            "sold_out_share_test": round(
                float(np.mean(test[demand.TARGET].to_numpy() >= demand.SOLD_OUT)), 4
            ),
            "top_features": dict(list(at_on_sale.importances.items())[:6]),
        },
    }
