"""``promoteros evaluate booking``: booking scores against the sell-through a world realised.

Every show the simulated world actually booked is an (artist, venue, date) pair. Each is
scored as of the Monday before its on-sale, with what a promoter would know then: the
artist's listeners by city (the Chartmetric-shaped endpoint's numbers, and 90 days earlier),
the tour dates announced by then (the show itself left out), momentum and viral episodes up to
then. The score is compared with the show's realised final sell-through (Spearman rank
correlation, and the top-decile lift: mean sell-through of the top-scored 10 % over the mean
of all). The same is done for a ranking by momentum alone.

Momentum here is a stand-in computed from the platform follower counts the world reports
(the momentum-v1 shape: 20 % audience size on a log scale, 80 % the percentile of 7-day
growth among all artists, on the artist's best platform), since running the whole analytics
pipeline for every week of every seed would take far longer than the evaluation itself.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from promoteros_pipelines.domain import booking
from promoteros_pipelines.simulator import World, generate_world, metrics_at
from promoteros_pipelines.simulator.audience import city_listeners_at


def _monday(moment: dt.datetime) -> dt.datetime:
    day = moment.date() - dt.timedelta(days=moment.weekday())
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def momentum_at(world: World, moment: dt.datetime) -> pl.DataFrame:
    """artist_id, momentum_score (0-100) from the followers the platforms report."""

    def followers(at: dt.datetime) -> pl.DataFrame:
        return (
            metrics_at(world, at)
            .filter(pl.col("metric") == "followers")
            .select("artist_id", "platform", "value")
        )

    now, before = followers(moment), followers(moment - dt.timedelta(days=7))
    return (
        now.join(before, on=["artist_id", "platform"], suffix="_before")
        .with_columns(growth=pl.col("value") / pl.col("value_before").clip(1, None) - 1)
        .with_columns(
            score=100
            * (
                0.2 * ((pl.col("value") + 1).log10() - 2).truediv(5).clip(0.0, 1.0)
                + 0.8 * pl.col("growth").rank().over("platform") / pl.len().over("platform")
            )
        )
        .group_by("artist_id")
        .agg(momentum_score=pl.col("score").max())
    )


def _artists_at(world: World, moment: dt.datetime) -> pl.DataFrame:
    now = momentum_at(world, moment)
    earlier = momentum_at(world, moment - dt.timedelta(days=14)).rename(
        {"momentum_score": "momentum_before"}
    )
    viral = (
        world.episodes.filter(pl.col("start") <= moment - dt.timedelta(days=1))
        .group_by("artist_id")
        .agg(last_viral_at=pl.col("start").max().dt.date())
    )
    return (
        world.artists.select("artist_id", "name", "genres")
        .join(now, on="artist_id", how="left")
        .join(earlier, on="artist_id", how="left")
        .join(viral, on="artist_id", how="left")
        .with_columns(momentum_trend=pl.col("momentum_score") - pl.col("momentum_before"))
        .drop("momentum_before")
    )


def _audience_at(world: World, moment: dt.datetime, artist_ids: pl.Series) -> pl.DataFrame:
    keys = ["artist_id", "latitude", "longitude"]
    now = city_listeners_at(world, moment).filter(pl.col("artist_id").is_in(artist_ids.implode()))
    before = city_listeners_at(world, moment - dt.timedelta(days=90)).select(
        *keys, listeners_before="listeners"
    )
    return now.join(before, on=keys, how="left").with_columns(
        pl.col("listeners", "listeners_before").cast(pl.Float64)
    )


def world_tour_dates(world: World) -> pl.DataFrame:
    """The world's tour dates with their venue's place, as Bandsintown lists them."""
    return world.tour_dates.join(
        world.venues.select("venue_id", "city", "latitude", "longitude"), on="venue_id"
    ).select(
        "event_id",
        "artist_id",
        "on_sale_at",
        event_date=pl.col("starts_at").dt.date(),
        city="city",
        latitude="latitude",
        longitude="longitude",
    )


def score_world_shows(world: World, progress: Callable[[str], None] | None = None) -> pl.DataFrame:
    """Every booked show scored as of the Monday before its on-sale, with its sell-through."""
    shows = world.shows.with_columns(
        as_of=pl.col("on_sale_at").map_elements(_monday, return_dtype=pl.Datetime("us", "UTC")),
        target_date=pl.col("starts_at").dt.date(),
    )
    dates = world_tour_dates(world)
    venues = world.venues.select(
        "venue_id", "name", "city", "latitude", "longitude", "capacity", "genres"
    )
    booked = pl.DataFrame(schema={"venue_id": pl.Int64, "show_date": pl.Date})
    parts = []
    groups = shows.partition_by("as_of", as_dict=True)
    for i, (key, group) in enumerate(sorted(groups.items())):
        moment = key[0]
        assert isinstance(moment, dt.datetime)
        if progress and i % 10 == 0:
            progress(f"scoring week {i + 1} of {len(groups)} ({moment.date()})")
        known = dates.filter(
            pl.col("on_sale_at") <= moment, ~pl.col("event_id").is_in(group["show_id"].implode())
        )
        scored = booking.score_pairs(
            _artists_at(world, moment),
            venues,
            _audience_at(world, moment, group["artist_id"].unique()),
            known,
            booked,
            moment.date(),
            pairs=group.select("show_id", "artist_id", "venue_id", "target_date"),
        )
        parts.append(
            scored.select("show_id", "score", "momentum_score", *booking.COMPONENTS).join(
                group.select("show_id", "final_sell_through"), on="show_id"
            )
        )
    return pl.concat(parts).sort("show_id")


def rank_metrics(scored: pl.DataFrame) -> dict[str, Any]:
    """spearman, top_decile_lift, momentum_only_spearman, pairs for a scored frame."""
    truth = scored["final_sell_through"]

    def spearman(column: str) -> float:
        value = scored.select(
            pl.corr(pl.col(column).fill_null(0), "final_sell_through", method="spearman")
        ).item()
        return round(float(value), 4)

    top = scored.sort("score", descending=True).head(max(1, scored.height // 10))
    return {
        "spearman": spearman("score"),
        "top_decile_lift": round(float(top["final_sell_through"].mean() / truth.mean()), 4),
        "momentum_only_spearman": spearman("momentum_score"),
        "pairs": scored.height,
    }


def evaluate_booking(
    seed: int, n_artists: int = 2000, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """The contract's keys, and per-component rank correlations under ``details``."""
    world = generate_world(seed=seed, n_artists=n_artists)
    scored = score_world_shows(world, progress)
    result = rank_metrics(scored)
    result["details"] = {
        "seed": seed,
        "artists": n_artists,
        "model_version": booking.BOOKING_VERSION,
        "mean_sell_through": round(float(scored["final_sell_through"].mean()), 4),
        "component_spearman": {
            c: round(
                float(
                    scored.select(
                        pl.corr(pl.col(c), "final_sell_through", method="spearman")
                    ).item()
                    or np.nan
                ),
                4,
            )
            for c in booking.COMPONENTS
        },
    }
    return result
