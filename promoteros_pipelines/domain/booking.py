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
  ``r = E / C``. Too small an act: ``clip(1 + log10(r / 0.9) / 1.5, 0, 1)`` (1 from 90 % full,
  0 below 3 %); too big an act (an arena act in a club: the room cannot pay its fee and fans
  are turned away): ``clip(1 - log10(r / 3), 0, 1)`` above three times the room (0 from 30
  times). So a fit of 1 means 0.9 <= r <= 3. The ticketing demand model
  (``domain/ticketing_demand.py``) is not used here: it forecasts booked shows from their
  price, date and days on sale, which an unbooked pair does not have, and it has no audience
  by city.
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

Routing and the market history live in ``booking_routing``, the wording in ``booking_words``.
Pure polars: no database, no Dagster, no network.
"""

import datetime as dt
from dataclasses import asdict, dataclass

import polars as pl

from promoteros_pipelines.domain import booking_routing, genres
from promoteros_pipelines.domain.booking_routing import haversine_km
from promoteros_pipelines.domain.booking_words import explanation

BOOKING_VERSION = "booking-v1"
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


def log_audience(listeners: pl.Expr) -> pl.Expr:
    """100 listeners -> 0, 100,000 -> 1, on a log scale."""
    return ((listeners.fill_null(0) + 1).log10() - 2).truediv(3).clip(0.0, 1.0)


def capacity_fit(expected: pl.Expr, capacity: pl.Expr) -> pl.Expr:
    """1 when the room would be 90 % to 3x full on expected demand; less either side."""
    ratio = (expected / capacity).clip(1e-6, None)
    low = (1 + (ratio / 0.9).log10() / 1.5).clip(0.0, 1.0)
    high = (1 - (ratio / 3).log10()).clip(0.0, 1.0)
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
    routing = booking_routing.routing(candidates, venues, tour_dates, booked, as_of, settings)
    route_keys = [
        *join_keys,
        *(["target_date"] if pairs is not None and "target_date" in pairs.columns else []),
    ]
    w = settings.weights
    scored = (
        candidates.join(routing, on=route_keys, how="left")
        .join(
            booking_routing.last_show_in_market(candidates, venues, tour_dates, as_of, settings),
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
