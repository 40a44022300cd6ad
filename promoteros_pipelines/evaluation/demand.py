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
        "venue_id", pl.col("genres").alias("venue_genres"), "typical_ticket_price"
    )
    artists = world.artists.select("artist_id", "genres")
    early = ticket_sales_at_each(world.shows, days=7)
    frame = (
        frame.join(viral, on="show_id")
        .join(venues, on="venue_id")
        .join(artists, on="artist_id")
        .join(early, on="show_id", how="left")
    )
    return frame.with_columns(
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
    ).sort("on_sale_at", "show_id")


def ticket_sales_at_each(shows: pl.DataFrame, days: int) -> pl.DataFrame:
    """Each show's share sold ``days`` after its on-sale (the first sales an update sees),
    as the world's ticketing system reports it (``ticket_sales_at``, one moment per show)."""
    moments = shows.with_columns(
        (pl.col("on_sale_at") + dt.timedelta(days=days)).alias("moment")
    ).partition_by("moment", as_dict=True)
    parts = [
        ticket_sales_at(group, key[0]).select(  # type: ignore[arg-type]
            "show_id", (pl.col("tickets_sold") / pl.col("capacity")).alias(demand.EARLY_FEATURE)
        )
        for key, group in moments.items()
    ]
    return pl.concat(parts)


def evaluate_demand(seed: int, n_artists: int = 2000) -> dict[str, Any]:
    """Scores at on-sale (the contract's keys) and, under ``details``, with first-week sales."""
    world = generate_world(seed=seed, n_artists=n_artists)
    frame = show_features(world)
    cut = int(frame.height * TRAIN_SHARE)
    train, test = frame.head(cut), frame.slice(cut)
    at_on_sale = demand.fit(train, demand.FEATURES, seed)
    scored = demand.scores(demand.predict(at_on_sale, test))
    with_early = demand.fit(train, [*demand.FEATURES, demand.EARLY_FEATURE], seed)
    early = demand.scores(demand.predict(with_early, test))
    better = min(scored["baseline_venue_mae"], scored["baseline_tier_mae"])
    return {
        **{key: scored[key] for key in ("mae", "baseline_venue_mae", "baseline_tier_mae")},
        "brier": scored["brier"],
        "shows": scored["shows"],
        "details": {
            "seed": seed,
            "train_shows": train.height,
            "r2": scored["r2"],
            "ratio_to_better_baseline": round(float(scored["mae"]) / better, 3),
            "with_first_week_sales": early,
            "sold_out_share_test": round(
                float(np.mean(test[demand.TARGET].to_numpy() >= demand.SOLD_OUT)), 4
            ),
            "top_features": dict(list(at_on_sale.importances.items())[:5]),
        },
    }
