"""Routing and market history for the booking score: distances, the nearest tour date with an
open date at the venue, and when the artist last played (or will play) the venue's market."""

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from promoteros_pipelines.domain.booking import BookingSettings

EARTH_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2) -> pl.Expr:
    """Great-circle distance in km between two points given as polars expressions (or column
    names or numbers), in degrees. Longitudes wrap: 179.5 and -179.5 are 111 km apart."""
    lat1, lon1, lat2, lon2 = (
        pl.col(x) if isinstance(x, str) else x if isinstance(x, pl.Expr) else pl.lit(x)
        for x in (lat1, lon1, lat2, lon2)
    )
    p1, p2 = lat1.radians(), lat2.radians()
    a = ((p2 - p1) / 2).sin() ** 2 + p1.cos() * p2.cos() * (
        ((lon2 - lon1).radians() / 2).sin() ** 2
    )
    return 2 * EARTH_KM * a.clip(0.0, 1.0).sqrt().arcsin()


def routing(
    pairs: pl.LazyFrame,
    venues: pl.LazyFrame,
    tour_dates: pl.LazyFrame,
    booked: pl.LazyFrame,
    as_of: dt.date,
    settings: "BookingSettings",
) -> pl.LazyFrame:
    """Best routing per pair: routing, routing_km, routing_city, routing_date, open_date.

    A tour date counts when it is within the radius and a date within ``routing_days`` of it
    is open at the venue (and, when the pair names a ``target_date``, is that date)."""
    has_target = "target_date" in pairs.collect_schema().names()
    keys = ["artist_id", "venue_id", *(["target_date"] if has_target else [])]
    near = (
        pairs.select(keys)
        .join(venues.select("venue_id", v_lat="latitude", v_lon="longitude"), on="venue_id")
        .join(
            tour_dates.filter(
                pl.col("event_date").is_between(
                    as_of, as_of + dt.timedelta(days=settings.horizon_days)
                )
            ).select("artist_id", "event_date", "city", t_lat="latitude", t_lon="longitude"),
            on="artist_id",
        )
        .with_columns(routing_km=haversine_km("t_lat", "t_lon", "v_lat", "v_lon"))
        .filter(pl.col("routing_km") <= settings.routing_radius_km)
    )
    offsets = pl.int_ranges(-settings.routing_days, settings.routing_days + 1)
    days = near.with_columns(offset=offsets).explode("offset")
    days = days.with_columns(
        open_date=pl.col("event_date") + pl.duration(days=pl.col("offset"))
    ).filter(pl.col("open_date") > as_of)
    if has_target:
        days = days.filter(pl.col("open_date") == pl.col("target_date"))
    free = days.join(
        booked.select("venue_id", open_date="show_date"), on=["venue_id", "open_date"], how="anti"
    )
    return (
        free.sort("routing_km", pl.col("offset").abs(), "event_date")
        .group_by(keys)
        .first()
        .select(
            *keys,
            routing=(1 - pl.col("routing_km") / settings.routing_radius_km).clip(0.0, 1.0),
            routing_km="routing_km",
            routing_city="city",
            routing_date="event_date",
            open_date="open_date",
        )
    )


def last_show_in_market(
    pairs: pl.LazyFrame,
    venues: pl.LazyFrame,
    tour_dates: pl.LazyFrame,
    as_of: dt.date,
    settings: "BookingSettings",
) -> pl.LazyFrame:
    """days_since_market_show (null: never) and announced_in_market per pair."""
    shows = (
        pairs.select("artist_id", "venue_id")
        .join(venues.select("venue_id", v_lat="latitude", v_lon="longitude"), on="venue_id")
        .join(
            tour_dates.select("artist_id", "event_date", t_lat="latitude", t_lon="longitude"),
            on="artist_id",
        )
        .filter(haversine_km("t_lat", "t_lon", "v_lat", "v_lon") <= settings.market_radius_km)
    )
    return shows.group_by("artist_id", "venue_id").agg(
        days_since_market_show=(
            pl.lit(as_of) - pl.col("event_date").filter(pl.col("event_date") <= as_of).max()
        ).dt.total_days(),
        announced_in_market=(pl.col("event_date") > as_of).any(),
    )
