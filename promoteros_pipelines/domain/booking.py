"""Booking score 0-100 for an (artist, venue) pair: open, versioned, and explained in words.

Version ``BOOKING_VERSION`` blends seven components, each in [0, 1]:

* ``momentum``: the artist's momentum score (``artist_momentum``, 0-100) and its trend (points
  gained over the last 14 days): ``0.7 x score / 100 + 0.3 x clip(0.5 + trend / 40, 0, 1)``.
  No momentum yet counts as an average artist (score 50, trend 0: 0.5).
* ``market``: listeners in the venue's market: each city of the artist's audience counts fully
  within ``city_km`` of the venue and linearly less out to ``market_radius_km``. Log scale from
  100 listeners (0) to 100,000 (1): ``clip((log10(1 + L) - 2) / 3, 0, 1)``.
* ``genre``: ``domain.genres.genre_fit`` of the artist's genres and the room's (1 same genre,
  0.6 one a kind of the other, 0.3 related, 0 none).
* ``capacity_fit``: expected attendance ``E = ticket_rate x L`` (our stated assumption: one in
  twenty listeners in the market buys a ticket to a headline show) against the capacity C,
  ``r = E / C``. Too small an act: ``clip(1 + log10(r / 0.9) / 1.5, 0, 1)`` (1 from 90 % full);
  too big an act (an arena act in a club: the room cannot pay its fee and fans are turned
  away): ``clip(1 - log10(r / 3) / log10(10), 0, 1)`` above three times the room. So a fit of
  1 means 0.9 <= r <= 3.
* ``gap_market``: a lasting audience (the smaller of the market's listeners now and
  ``lasting_days`` ago, when that history exists) that has not seen the artist for months:
  ``market(lasting L) x clip(days since the last show within market_radius_km / 180, 0, 1)``
  (never played there: the full factor); 0 when a show in the market is already announced.
* ``routing``: the artist already plays within ``routing_radius_km`` (default 400 km,
  haversine) within ``routing_days`` of a date the venue has open (no show in ``shows``):
  ``1 - km / routing_radius_km`` for the nearest such tour date; 0 without an open date.
* ``viral``: a recent viral event: 1 up to 14 days old, falling linearly to 0 at 60 days.

``score = 100 x sum(weight x component)`` with ``BookingWeights`` (they sum to 1).

**Pruning** (``candidate_pairs``): a pair is only blended when the artist has at least
``min_market_listeners`` listeners in the venue's market and some genre fit; at 25,000 artists
x 200 venues that skips most of the 5M pairs before any per-pair work.

Pure polars: no database, no Dagster, no network.
"""

import datetime as dt
import math
from dataclasses import asdict, dataclass

import polars as pl

from promoteros_pipelines.domain import genres
from promoteros_pipelines.domain.booking_words import explanation

BOOKING_VERSION = "booking-v1"
EARTH_KM = 6371.0088
COMPONENTS = (
    "momentum",
    "market",
    "genre",
    "capacity_fit",
    "gap_market",
    "routing",
    "viral",
)


@dataclass(frozen=True)
class BookingWeights:
    momentum: float = 0.15
    market: float = 0.2
    genre: float = 0.1
    capacity_fit: float = 0.3
    gap_market: float = 0.1
    routing: float = 0.1
    viral: float = 0.05


@dataclass(frozen=True)
class BookingSettings:
    city_km: float = 30.0
    market_radius_km: float = 150.0
    routing_radius_km: float = 400.0
    routing_days: int = 3
    ticket_rate: float = 0.05
    min_market_listeners: float = 100.0
    lasting_days: int = 90
    horizon_days: int = 180
    weights: BookingWeights = BookingWeights()


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


def log_audience(listeners: pl.Expr) -> pl.Expr:
    """100 listeners -> 0, 100,000 -> 1, on a log scale."""
    return ((listeners.fill_null(0) + 1).log10() - 2).truediv(3).clip(0.0, 1.0)


def capacity_fit(expected: pl.Expr, capacity: pl.Expr) -> pl.Expr:
    """1 when the room would be 90 % to 3x full on expected demand; less either side."""
    ratio = (expected / capacity).clip(1e-6, None)
    low = (1 + (ratio / 0.9).log10() / 1.5).clip(0.0, 1.0)
    high = (1 - (ratio / 3).log10() / math.log10(10)).clip(0.0, 1.0)
    return pl.when(ratio < 0.9).then(low).when(ratio > 3).then(high).otherwise(1.0)


def genre_fit_table(artist_genres: pl.Series, venue_genres: pl.Series) -> pl.DataFrame:
    """Fit of every distinct artist genre list with every distinct venue genre list: a few
    hundred calls of ``genres.genre_fit`` instead of one per pair."""
    a = artist_genres.unique().to_list()
    v = venue_genres.unique().to_list()
    rows = [(x, y, genres.genre_fit(x or [], y or [])) for x in a for y in v]
    return pl.DataFrame(
        rows,
        schema={
            "artist_genres": artist_genres.dtype,
            "venue_genres": venue_genres.dtype,
            "genre": pl.Float64,
        },
        orient="row",
    )


def market_listeners(
    audience: pl.LazyFrame, venues: pl.LazyFrame, settings: BookingSettings
) -> pl.LazyFrame:
    """Listeners per (artist, venue) in the venue's market: artist_id, venue_id,
    market_listeners, lasting_listeners. ``audience`` has artist_id, latitude, longitude,
    listeners and optionally listeners_before (``lasting_days`` earlier)."""
    if "listeners_before" not in audience.collect_schema().names():
        audience = audience.with_columns(listeners_before=pl.lit(None, pl.Float64))
    places = audience.select("latitude", "longitude").unique()
    reach = (
        places.join(
            venues.select("venue_id", pl.col("latitude").alias("v_lat"), "longitude"), how="cross"
        )
        .with_columns(km=haversine_km("latitude", "longitude", "v_lat", pl.col("longitude_right")))
        .filter(pl.col("km") <= settings.market_radius_km)
        .select(
            "latitude",
            "longitude",
            "venue_id",
            weight=(
                (settings.market_radius_km - pl.col("km"))
                / (settings.market_radius_km - settings.city_km)
            ).clip(0.0, 1.0),
        )
    )
    return (
        audience.join(reach, on=["latitude", "longitude"])
        .group_by("artist_id", "venue_id")
        .agg(
            market_listeners=(pl.col("listeners") * pl.col("weight")).sum(),
            lasting_listeners=pl.min_horizontal(
                pl.col("listeners"), pl.col("listeners_before").fill_null(pl.col("listeners"))
            )
            .mul(pl.col("weight"))
            .sum(),
        )
    )


def candidate_pairs(
    artists: pl.LazyFrame,
    venues: pl.LazyFrame,
    audience: pl.LazyFrame,
    settings: BookingSettings,
    prune: bool = True,
) -> pl.LazyFrame:
    """(artist, venue) pairs worth blending, with market listeners and genre fit; with
    ``prune=False`` every pair (the market may be 0)."""
    markets = market_listeners(audience, venues, settings)
    fits = genre_fit_table(
        artists.select("genres").collect().to_series().rename("artist_genres"),
        venues.select("genres").collect().to_series().rename("venue_genres"),
    ).lazy()
    if prune:
        pairs = markets.filter(pl.col("market_listeners") >= settings.min_market_listeners)
    else:
        pairs = (
            artists.select("artist_id")
            .join(venues.select("venue_id"), how="cross")
            .join(markets, on=["artist_id", "venue_id"], how="left")
            .with_columns(pl.col("market_listeners", "lasting_listeners").fill_null(0.0))
        )
    pairs = (
        pairs.join(artists.select("artist_id", artist_genres="genres"), on="artist_id")
        .join(venues.select("venue_id", venue_genres="genres"), on="venue_id")
        .join(fits, on=["artist_genres", "venue_genres"], how="left")
        .with_columns(pl.col("genre").fill_null(0.0))
    )
    if prune:
        pairs = pairs.filter(pl.col("genre") > 0)
    return pairs.drop("artist_genres", "venue_genres")


def _routing(
    pairs: pl.LazyFrame,
    venues: pl.LazyFrame,
    tour_dates: pl.LazyFrame,
    booked: pl.LazyFrame,
    as_of: dt.date,
    settings: BookingSettings,
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


def _last_show_in_market(
    pairs: pl.LazyFrame,
    venues: pl.LazyFrame,
    tour_dates: pl.LazyFrame,
    as_of: dt.date,
    settings: BookingSettings,
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


def score_pairs(
    artists: pl.DataFrame | pl.LazyFrame,
    venues: pl.DataFrame | pl.LazyFrame,
    audience: pl.DataFrame | pl.LazyFrame,
    tour_dates: pl.DataFrame | pl.LazyFrame,
    booked: pl.DataFrame | pl.LazyFrame,
    as_of: dt.date,
    settings: BookingSettings = BookingSettings(),
    *,
    pairs: pl.DataFrame | None = None,
    prune: bool = True,
) -> pl.DataFrame:
    """Score (artist, venue) pairs as of ``as_of``; one row per pair, best first.

    Inputs: ``artists`` (artist_id, name, genres, momentum_score, momentum_trend,
    last_viral_at: date or null), ``venues`` (venue_id, name, city, latitude, longitude,
    capacity, genres), ``audience`` (artist_id, latitude, longitude, listeners[,
    listeners_before]), ``tour_dates`` (artist_id, event_date, city, latitude, longitude),
    ``booked`` (venue_id, show_date: dates that are not open). ``pairs`` (artist_id, venue_id[,
    target_date]) scores exactly those pairs, unpruned; otherwise candidates come from
    ``candidate_pairs``. Returns the keys, each component, ``score`` (0-100, one decimal),
    ``components`` (a struct of the components and their evidence), ``explanation`` and
    ``model_version``.
    """
    artists, venues, audience, tour_dates, booked = (
        f.lazy() for f in (artists, venues, audience, tour_dates, booked)
    )
    if pairs is not None:
        keys = pairs.lazy()
        candidates = keys.join(
            candidate_pairs(
                artists.join(keys.select("artist_id").unique(), on="artist_id"),
                venues.join(keys.select("venue_id").unique(), on="venue_id"),
                audience.join(keys.select("artist_id").unique(), on="artist_id"),
                settings,
                prune=False,
            ),
            on=["artist_id", "venue_id"],
            how="left",
        )
    else:
        candidates = candidate_pairs(artists, venues, audience, settings, prune=prune)
    candidates = candidates.collect().lazy()
    join_keys = ["artist_id", "venue_id"]
    routing = _routing(candidates, venues, tour_dates, booked, as_of, settings)
    route_keys = [
        *join_keys,
        *(["target_date"] if pairs is not None and "target_date" in pairs.columns else []),
    ]
    w = settings.weights
    scored = (
        candidates.join(routing, on=route_keys, how="left")
        .join(
            _last_show_in_market(candidates, venues, tour_dates, as_of, settings),
            on=join_keys,
            how="left",
        )
        .join(
            artists.select(
                "artist_id",
                "name",
                "momentum_score",
                "momentum_trend",
                "last_viral_at",
            ),
            on="artist_id",
            how="left",
        )
        .join(
            venues.select("venue_id", venue_name="name", venue_city="city", capacity="capacity"),
            on="venue_id",
            how="left",
        )
        .with_columns(
            expected_attendance=pl.col("market_listeners") * settings.ticket_rate,
            viral_age_days=(pl.lit(as_of) - pl.col("last_viral_at")).dt.total_days(),
        )
        .with_columns(
            momentum=(
                0.7 * pl.col("momentum_score").fill_null(50) / 100
                + 0.3 * (0.5 + pl.col("momentum_trend").fill_null(0) / 40).clip(0.0, 1.0)
            ).clip(0.0, 1.0),
            market=log_audience(pl.col("market_listeners")),
            capacity_fit=capacity_fit(pl.col("expected_attendance"), pl.col("capacity")),
            gap_market=pl.when(pl.col("announced_in_market").fill_null(False))
            .then(0.0)
            .otherwise(
                log_audience(pl.col("lasting_listeners"))
                * (pl.col("days_since_market_show").fill_null(10_000) / 180).clip(0.0, 1.0)
            ),
            routing=pl.col("routing").fill_null(0.0),
            viral=pl.when(pl.col("viral_age_days").is_null() | (pl.col("viral_age_days") < 0))
            .then(0.0)
            .otherwise((1 - (pl.col("viral_age_days") - 14) / 46).clip(0.0, 1.0)),
            genre=pl.col("genre").fill_null(0.0),
        )
        .with_columns(
            score=(100 * pl.sum_horizontal(pl.col(c) * getattr(w, c) for c in COMPONENTS)).round(1)
        )
    )
    return (
        scored.with_columns(
            components=pl.struct(
                *(pl.col(c).round(3) for c in COMPONENTS),
                pl.col("market_listeners").round(0),
                pl.col("expected_attendance").round(0),
                "capacity",
                pl.col("routing_km").round(0),
                "routing_city",
                pl.col("routing_date").cast(pl.String),
                pl.col("open_date").cast(pl.String),
                "days_since_market_show",
                "momentum_score",
                "momentum_trend",
            ),
            explanation=explanation(),
            model_version=pl.lit(BOOKING_VERSION),
        )
        .sort("score", "artist_id", "venue_id", descending=[True, False, False])
        .collect()
    )


def settings_dict(settings: BookingSettings) -> dict:
    """The settings as plain data, for run metadata."""
    return asdict(settings)
