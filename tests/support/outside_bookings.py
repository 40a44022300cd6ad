"""A second, independent generator of booked shows and their sell-through, to test the
booking score on data our simulator (``promoteros_pipelines.simulator``) did not make.

It shares no code and no shapes with the simulator:

* **Markets** are 14 random points between 36-60 N and 10 W-28 E (not the simulator's cities);
  venues sit in them with capacities log-uniform from 150 to 8,000 and two broad genres.
* **Fans**: each artist has a total fan base (lognormal) split over the markets by a
  Dirichlet draw (no home town, no distance decay), growing at the artist's own rate.
* **Reported listeners** are the fans times lognormal measurement noise (sigma 0.3), and
  platforms report only markets with at least 50.
* **Booking is sensible**, not random: an agent offers each artist 1-4 shows in venues whose
  size is close to 4 % of the local fans (a softmax on the log size mismatch).
* **Tickets** are a Poisson-gamma draw (overdispersed) with mean ``0.08 x fans at the show
  date ^ 0.95 x genre (1 or 0.75) x weekend (1.15)``; sell-through ``min(1, tickets / cap)``.
* **Momentum** is reported as the percentile of the growth rate plus noise (sd 15 points).
"""

import datetime as dt

import numpy as np
import polars as pl

AS_OF = dt.date(2025, 9, 1)
BROAD = ("rock", "indie", "electronic", "hip-hop", "jazz", "folk", "metal", "pop", "soul")


def outside_bookings(seed: int, n_artists: int = 600, n_venues: int = 60) -> dict:
    rng = np.random.default_rng(seed)
    markets = 14
    m_lat, m_lon = rng.uniform(36, 60, markets), rng.uniform(-10, 28, markets)
    v_market = rng.integers(0, markets, n_venues)
    capacity = np.round(np.exp(rng.uniform(np.log(150), np.log(8000), n_venues)))
    venue_genres = [list(rng.choice(BROAD, 2, replace=False)) for _ in range(n_venues)]
    venues = pl.DataFrame(
        {
            "venue_id": np.arange(1, n_venues + 1),
            "name": [f"Hall {i}" for i in range(n_venues)],
            "city": [f"Market {m}" for m in v_market],
            "latitude": m_lat[v_market],
            "longitude": m_lon[v_market],
            "capacity": capacity.astype(np.int64),
            "genres": venue_genres,
        }
    )
    fans = rng.lognormal(8.5, 1.2, n_artists)[:, None] * rng.dirichlet(
        np.full(markets, 0.5), n_artists
    )
    growth = rng.normal(0.002, 0.003, n_artists)  # per day
    artist_genre = rng.choice(BROAD, n_artists)
    momentum = np.clip(
        100 * (np.argsort(np.argsort(growth)) / n_artists) + rng.normal(0, 15, n_artists), 0, 100
    )
    artists = pl.DataFrame(
        {
            "artist_id": np.arange(1, n_artists + 1),
            "name": [f"Act {i}" for i in range(n_artists)],
            "genres": [[g] for g in artist_genre],
            "momentum_score": momentum,
            "momentum_trend": rng.normal(0, 5, n_artists),
            "last_viral_at": pl.Series([None] * n_artists, dtype=pl.Date),
        }
    )
    reported = fans * rng.lognormal(0, 0.3, fans.shape)
    a, m = np.nonzero(reported >= 50)
    audience = pl.DataFrame(
        {
            "artist_id": a + 1,
            "latitude": m_lat[m],
            "longitude": m_lon[m],
            "listeners": np.round(reported[a, m]),
        }
    )
    shows = []
    for artist in range(n_artists):
        local = fans[artist, v_market]
        mismatch = np.abs(np.log(capacity) - np.log(np.maximum(0.04 * local, 1)))
        chance = np.exp(-1.5 * mismatch)
        for venue in rng.choice(
            n_venues, rng.integers(1, 5), replace=False, p=chance / chance.sum()
        ):
            days = int(rng.integers(30, 200))
            date = AS_OF + dt.timedelta(days=days)
            grown = local[venue] * np.exp(growth[artist] * days)
            genre = 1.0 if artist_genre[artist] in venue_genres[venue] else 0.75
            weekend = 1.15 if date.weekday() >= 4 else 1.0
            mean = 0.08 * grown**0.95 * genre * weekend
            tickets = rng.poisson(rng.gamma(4.0, mean / 4.0))
            shows.append((artist + 1, venue + 1, date, min(1.0, tickets / capacity[venue])))
    pairs = pl.DataFrame(
        shows,
        schema={
            "artist_id": pl.Int64,
            "venue_id": pl.Int64,
            "target_date": pl.Date,
            "final_sell_through": pl.Float64,
        },
        orient="row",
    ).with_row_index("show_id", offset=1)
    return {
        "artists": artists,
        "venues": venues,
        "audience": audience,
        "tour_dates": pl.DataFrame(
            schema={
                "artist_id": pl.Int64,
                "event_date": pl.Date,
                "city": pl.String,
                "latitude": pl.Float64,
                "longitude": pl.Float64,
            }
        ),
        "booked": pl.DataFrame(schema={"venue_id": pl.Int64, "show_date": pl.Date}),
        "pairs": pairs,
    }
