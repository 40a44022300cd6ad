"""Where an artist's listeners live: monthly listeners per city, and ticket demand from them.

**Listeners by city.** An artist's Spotify monthly listeners are its Spotify audience (the
logistic growth in ``world``) times a listener-to-follower ratio (lognormal around 3: monthly
listeners usually outnumber followers). They are spread over the ``touring.CITIES`` with a
weight per (artist, city) that multiplies:

* the city's size (metro population in millions, to the power 0.8: big cities stream more,
  less than in proportion);
* a home-town effect (x6 in the home city): acts grow from a local scene;
* distance from home, ``exp(-km / reach)``, where the reach grows with the artist's size
  (about 800 km for a small act, several thousand for a global one);
* the strength of the artist's first genre in the city's scene (lognormal, drawn per world);
* the artist's own uneven pockets of fans (lognormal, per artist and city).

The listed cities hold ``LISTED_SHARE`` of the listeners; the rest live elsewhere (the real
endpoint lists the top 50 cities only). Everything is drawn from its own generator, so adding
this model did not change any other part of the world.

**Ticket demand** (``show_sell_through``): how a promoter would reason about a show.

``fans = catchment listeners x conversion x genre x price x weekday x season x saturation
x noise``, ``regulars = the room's own draw x genre x weekday`` and
``sell-through = min(1, (fans + regulars) / capacity)``, where

* catchment listeners are the artist's listeners in the venue's city and around it
  (``exp(-km / TRAVEL_KM)``: fans travel, but not far), at the date of the show (a rising act
  sells more by the time it plays);
* ``CONVERSION`` of them buy a ticket for a typical show (calibrated so that the world's
  shows sell about 30 % of their rooms on average, with a quarter to a third under 5 %: the
  world books its acts into venues at random, so many rooms are far too big or in the wrong
  city; a real listener-to-ticket rate is lower, but real promoters book more sensibly);
* genre: the room's regulars and its promotion channels help when the artist plays a genre
  the room books (x1), and less otherwise (``OFF_GENRE``);
* price: elasticity ``PRICE_ELASTICITY`` against the venue's typical price;
* weekday (Friday and Saturday sell best, Monday worst) and season (indoor shows do best in
  winter; summer competes with festivals);
* saturation: each other show the artist played within ``TRAVEL_KM x 2`` in the 120 days
  before leaves ``SATURATION`` of the demand (fans who just saw the act wait);
* noise: lognormal with sigma ``NOISE_SIGMA`` (promotion, competing events, weather, luck);
* the room's own draw (``_regulars``): members, mailing list and walk-ups, 3-15 % of the
  room per venue (of at most 800 seats' worth: a big hall has no regulars to fill it), with
  20 % noise from show to show.
"""

import datetime as dt

import numpy as np
import polars as pl

from promoteros_pipelines.simulator import touring
from promoteros_pipelines.simulator.memo import kept, remembered

# metro population, millions, in touring.CITIES order
CITY_POPULATION = np.array(
    [
        14,
        2.8,
        1.8,
        1.4,
        12,
        2.3,
        4.5,
        3.2,
        2.5,
        2.1,
        6.7,
        5.6,
        2.9,
        4.3,
        2.4,
        2.1,
        1.6,
        3.1,
        19,
        13,
        9.4,
        2.4,
        6.1,
        2.0,
        6.4,
        4.3,
        21.8,
        22,
        15,
        26,
        37,
        5.3,
    ],
    dtype=np.float64,
)
HOME_BOOST = 6.0
GLOBAL_FLOOR = 0.1
LISTED_SHARE = 0.55
TRAVEL_KM = 60.0
CONVERSION = 0.2
OFF_GENRE = 0.6
PRICE_ELASTICITY = 1.3
WEEKDAY = np.array([0.75, 0.8, 0.85, 1.0, 1.15, 1.2, 0.9])  # Monday .. Sunday
SATURATION = 0.7
NOISE_SIGMA = 0.35
REGULARS = (0.03, 0.15)
EARTH_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (numpy, broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _city_coordinates() -> tuple[np.ndarray, np.ndarray]:
    return np.array([c[2] for c in touring.CITIES]), np.array([c[3] for c in touring.CITIES])


def city_shares(world) -> np.ndarray:
    """Share of each artist's monthly listeners living in each city, ``(n, len(CITIES))``."""
    return kept(world, ("city_draws",), lambda: _city_draws(world))[0]


def listener_ratio(world) -> np.ndarray:
    """Monthly listeners per Spotify follower, per artist."""
    return kept(world, ("city_draws",), lambda: _city_draws(world))[1]


def _city_draws(world) -> tuple[np.ndarray, np.ndarray]:
    """The shares of ``city_shares`` and the ratios of ``listener_ratio``: one random stream,
    drawn once per world in this order."""
    n = world.n_artists
    rng = np.random.default_rng([world.seed, 0xC17E])
    names = [c[0] for c in touring.CITIES]
    home = np.array([names.index(city) for city in world.artists["home_city"].to_list()])
    lat, lon = _city_coordinates()
    km = haversine_km(lat[home][:, None], lon[home][:, None], lat[None, :], lon[None, :])
    reach = 1500.0 * 2.0 ** (world.params["log_k"] - 4.0)
    genre_index = {g: i for i, g in enumerate(touring.GENRES)}
    first_genre = np.array([genre_index[g[0]] for g in world.artists["genres"].to_list()])
    scene = rng.lognormal(0.0, 0.5, (len(touring.GENRES), len(names)))
    pockets = rng.lognormal(0.0, 0.6, (n, len(names)))
    weight = CITY_POPULATION[None, :] ** 0.8 * (GLOBAL_FLOOR + np.exp(-km / reach[:, None]))
    weight *= scene[first_genre] * pockets
    weight[np.arange(n), home] *= HOME_BOOST
    shares = LISTED_SHARE * weight / weight.sum(axis=1, keepdims=True)
    return shares, rng.lognormal(np.log(3.0), 0.35, n)


def monthly_listeners(world, day: float) -> np.ndarray:
    """Spotify monthly listeners per artist on ``day`` (0 where the artist is not on Spotify)."""
    from promoteros_pipelines.simulator.world import _audience

    spotify = _audience(world, day, noisy=False)[:, 0]
    return np.where(world.params["present"][:, 0], spotify * listener_ratio(world), 0.0)


def city_listeners_at(world, timestamp: dt.datetime, artist_id: int | None = None) -> pl.DataFrame:
    """Listeners per (artist, city) at ``timestamp``: artist_id, city, country, latitude,
    longitude, listeners (rounded; cities with fewer than 10 listeners are not listed).
    ``artist_id``: that artist's rows only."""
    day = world.days(timestamp)
    if artist_id is None:
        rows, monthly = slice(None), monthly_listeners(world, day)
    else:  # the simulator answers one artist a request: the day's audience is kept for the next
        rows = slice(artist_id - 1, artist_id)
        monthly = remembered(
            world, ("monthly_listeners", day), lambda: monthly_listeners(world, day)
        )
    listeners = np.round(monthly[rows, None] * city_shares(world)[rows])
    first = rows.start or 0
    artist, city = np.nonzero(listeners >= 10)
    lat, lon = _city_coordinates()
    return pl.DataFrame(
        {
            "artist_id": (artist + first + 1).astype(np.int64),
            "city": np.asarray([c[0] for c in touring.CITIES])[city],
            "country": np.asarray([c[1] for c in touring.CITIES])[city],
            "latitude": lat[city],
            "longitude": lon[city],
            "listeners": listeners[artist, city].astype(np.int64),
        }
    )


def show_sell_through(world, shows: pl.DataFrame) -> pl.Series:
    """Final sell-through of each show in ``shows`` from the demand model in the docstring."""
    rng = np.random.default_rng([world.seed, 0xDE3A])
    shares = city_shares(world)
    venues = world.venues.select(
        "venue_id", "latitude", "longitude", "genres", "typical_ticket_price"
    )
    frame = shows.join(venues, on="venue_id", how="left", maintain_order="left").join(
        world.artists.select("artist_id", pl.col("genres").alias("artist_genres")),
        on="artist_id",
        how="left",
        maintain_order="left",
    )
    rows = frame["artist_id"].to_numpy() - 1
    days = ((frame["starts_at"] - world.start).dt.total_seconds() / 86_400.0).to_numpy()
    listeners = np.zeros(len(rows))
    for day in np.unique(np.floor(days)):
        at = np.floor(days) == day
        listeners[at] = monthly_listeners(world, float(day))[rows[at]]
    lat, lon = _city_coordinates()
    v_lat, v_lon = frame["latitude"].to_numpy(), frame["longitude"].to_numpy()
    km = haversine_km(v_lat[:, None], v_lon[:, None], lat[None, :], lon[None, :])
    catchment = listeners * (shares[rows] * np.exp(-km / TRAVEL_KM)).sum(axis=1)
    genre = np.where(
        frame.select(pl.col("artist_genres").list.set_intersection("genres").list.len() > 0)
        .to_series()
        .to_numpy(),
        1.0,
        OFF_GENRE,
    )
    price = (frame["ticket_price"] / frame["typical_ticket_price"]).to_numpy() ** -PRICE_ELASTICITY
    weekday = WEEKDAY[frame["starts_at"].dt.weekday().to_numpy() - 1]
    season = 1.0 + 0.1 * np.cos(
        2 * np.pi * (frame["starts_at"].dt.ordinal_day().to_numpy() - 30) / 365
    )
    saturation = SATURATION ** _recent_nearby_shows(world, frame)
    noise = rng.lognormal(0.0, NOISE_SIGMA, len(rows))
    fans = catchment * CONVERSION * genre * price * weekday * season * saturation * noise
    regulars = _regulars(world, frame) * genre * weekday
    share = np.clip((fans + regulars) / frame["capacity"].to_numpy(), 0.0, 1.0)
    return pl.Series("final_sell_through", np.round(share, 4))


def _regulars(world, frame: pl.DataFrame) -> np.ndarray:
    """Tickets the room sells on its name alone: its mailing list, members and walk-ups,
    ``REGULARS`` of capacity per venue (small rooms with a following do this; a stadium
    does not), with 20 % show-to-show noise."""
    rng = np.random.default_rng([world.seed, 0x8E6])
    per_venue = rng.uniform(*REGULARS, world.venues.height)
    capacity = frame["capacity"].to_numpy()
    base = per_venue[frame["venue_id"].to_numpy() - 1] * capacity * np.minimum(1.0, 800 / capacity)
    return base * rng.lognormal(0.0, 0.2, frame.height)


def _recent_nearby_shows(world, frame: pl.DataFrame) -> np.ndarray:
    """How many of the artist's tour dates were within 2 x TRAVEL_KM in the 120 days before."""
    dates = world.tour_dates.join(
        world.venues.select(
            "venue_id", pl.col("latitude").alias("lat"), pl.col("longitude").alias("lon")
        ),
        on="venue_id",
    ).select("artist_id", pl.col("starts_at").alias("other_at"), "lat", "lon")
    pairs = frame.select("show_id", "artist_id", "starts_at", "latitude", "longitude").join(
        dates, on="artist_id"
    )
    km = haversine_km(
        pairs["latitude"].to_numpy(),
        pairs["longitude"].to_numpy(),
        pairs["lat"].to_numpy(),
        pairs["lon"].to_numpy(),
    )
    counted = pairs.with_columns(pl.Series("km", km)).filter(
        pl.col("km") <= 2 * TRAVEL_KM,
        pl.col("other_at") < pl.col("starts_at"),
        pl.col("other_at") >= pl.col("starts_at") - dt.timedelta(days=120),
    )
    per_show = counted.group_by("show_id").len()
    return (
        frame.select("show_id")
        .join(per_show, on="show_id", how="left", maintain_order="left")["len"]
        .fill_null(0)
        .to_numpy()
    )
