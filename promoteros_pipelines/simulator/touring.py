"""Organisations, venues, artists' tour dates and shows with ticket-sales curves.

Kept deliberately small: a venue pool (the first ones belong to four promoter organisations,
the rest are other people's rooms), a few dated gigs per artist (bigger artists play more,
anywhere in the pool), and, for gigs at the organisations' own venues, a show with capacity,
price, an on-sale date and a final sell-through. Sales follow one cumulative curve: a burst
at on-sale and a late rush before the date (``ticket_sales_at``).
"""

import datetime as dt

import numpy as np
import polars as pl

from promoteros_pipelines.simulator.names import GENRES

# (city, ISO country, latitude, longitude)
CITIES = (
    ("London", "GB", 51.5074, -0.1278),
    ("Manchester", "GB", 53.4808, -2.2426),
    ("Glasgow", "GB", 55.8642, -4.2518),
    ("Dublin", "IE", 53.3498, -6.2603),
    ("Paris", "FR", 48.8566, 2.3522),
    ("Lyon", "FR", 45.764, 4.8357),
    ("Berlin", "DE", 52.52, 13.405),
    ("Hamburg", "DE", 53.5511, 9.9937),
    ("Amsterdam", "NL", 52.3676, 4.9041),
    ("Brussels", "BE", 50.8503, 4.3517),
    ("Madrid", "ES", 40.4168, -3.7038),
    ("Barcelona", "ES", 41.3874, 2.1686),
    ("Lisbon", "PT", 38.7223, -9.1393),
    ("Milan", "IT", 45.4642, 9.19),
    ("Stockholm", "SE", 59.3293, 18.0686),
    ("Copenhagen", "DK", 55.6761, 12.5683),
    ("Oslo", "NO", 59.9139, 10.7522),
    ("Warsaw", "PL", 52.2297, 21.0122),
    ("New York", "US", 40.7128, -74.006),
    ("Los Angeles", "US", 34.0522, -118.2437),
    ("Chicago", "US", 41.8781, -87.6298),
    ("Austin", "US", 30.2672, -97.7431),
    ("Atlanta", "US", 33.749, -84.388),
    ("Nashville", "US", 36.1627, -86.7816),
    ("Toronto", "CA", 43.6532, -79.3832),
    ("Montreal", "CA", 45.5019, -73.5674),
    ("Mexico City", "MX", 19.4326, -99.1332),
    ("São Paulo", "BR", -23.5505, -46.6333),
    ("Lagos", "NG", 6.5244, 3.3792),
    ("Seoul", "KR", 37.5665, 126.978),
    ("Tokyo", "JP", 35.6762, 139.6503),
    ("Sydney", "AU", -33.8688, 151.2093),
)
COUNTRY_NAMES = {
    "GB": "United Kingdom",
    "IE": "Ireland",
    "FR": "France",
    "DE": "Germany",
    "NL": "Netherlands",
    "BE": "Belgium",
    "ES": "Spain",
    "PT": "Portugal",
    "IT": "Italy",
    "SE": "Sweden",
    "DK": "Denmark",
    "NO": "Norway",
    "PL": "Poland",
    "US": "United States",
    "CA": "Canada",
    "MX": "Mexico",
    "BR": "Brazil",
    "NG": "Nigeria",
    "KR": "South Korea",
    "JP": "Japan",
    "AU": "Australia",
}
ORGANISATIONS = (
    ("northern-lights-live", "Northern Lights Live", "Europe/London", "GBP"),
    ("rive-gauche-concerts", "Rive Gauche Concerts", "Europe/Paris", "EUR"),
    ("spree-booking", "Spree Booking", "Europe/Berlin", "EUR"),
    ("hudson-stage-co", "Hudson Stage Co", "America/New_York", "USD"),
)
# Organisation i runs venues in these cities (indices into CITIES).
_ORG_CITIES = ((0, 1, 2, 3), (4, 5, 9), (6, 7, 8, 17), (18, 20, 21, 24))
_CAPACITIES = np.array([250, 450, 800, 1_500, 2_500, 5_000, 12_000])
_ROOM_WORDS = np.asarray(
    [
        "Hall",
        "Room",
        "Ballroom",
        "Theatre",
        "Arena",
        "Club",
        "Warehouse",
        "Academy",
        "Social",
        "Garage",
        "Forum",
        "Palace",
    ]
)
_ROOM_NAMES = np.asarray(
    [
        "Electric",
        "Roundhouse",
        "Paradiso",
        "Olympia",
        "Crystal",
        "Union",
        "Foundry",
        "Apollo",
        "Lantern",
        "Vault",
        "Echo",
        "Harbour",
        "Astoria",
        "Velvet",
        "Granary",
    ]
)
OWNED_VENUES = 40


def draw_venues(rng: np.random.Generator, n_artists: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A venue pool that grows slowly with the world; the first 40 belong to organisations."""
    n = max(120, n_artists // 25)
    org = np.full(n, -1)
    org[:OWNED_VENUES] = np.arange(OWNED_VENUES) % len(ORGANISATIONS)
    org_city = np.array([rng.choice(_ORG_CITIES[o]) for o in org[:OWNED_VENUES]])
    city = np.concatenate([org_city, rng.integers(0, len(CITIES), n - OWNED_VENUES)])
    lat = np.array([c[2] for c in CITIES])[city] + rng.normal(0, 0.03, n)
    lon = np.array([c[3] for c in CITIES])[city] + rng.normal(0, 0.03, n)
    capacity = _CAPACITIES[rng.choice(len(_CAPACITIES), n, p=[0.2, 0.2, 0.2, 0.15, 0.1, 0.1, 0.05])]
    name = (
        pl.Series(_ROOM_NAMES[rng.integers(0, len(_ROOM_NAMES), n)])
        + " "
        + pl.Series(_ROOM_WORDS[rng.integers(0, len(_ROOM_WORDS), n)])
    )
    genre = np.asarray(GENRES)
    venues = pl.DataFrame(
        {
            "venue_id": np.arange(1, n + 1, dtype=np.int64),
            "organisation_id": pl.Series(np.where(org >= 0, org + 1, 0)).replace(0, None),
            "name": name,
            "slug": pl.Series(np.arange(1, n + 1)).cast(pl.String),
            "city": pl.Series(np.asarray([c[0] for c in CITIES])[city]),
            "country": pl.Series(np.asarray([c[1] for c in CITIES])[city]),
            "latitude": np.round(lat, 5),
            "longitude": np.round(lon, 5),
            "capacity": capacity.astype(np.int64),
            "genres": pl.select(
                pl.concat_list(
                    pl.lit(pl.Series(genre[rng.integers(0, len(genre), n)])),
                    pl.lit(pl.Series(genre[rng.integers(0, len(genre), n)])),
                ).list.unique(maintain_order=True)
            ).to_series(),
            "typical_ticket_price": np.round(
                12 + 6 * np.log(capacity) * rng.uniform(0.8, 1.3, n), 2
            ),
        }
    ).with_columns(
        slug=pl.col("name").str.to_lowercase().str.replace_all(" ", "-") + "-" + pl.col("slug")
    )
    organisations = pl.DataFrame(
        {
            "organisation_id": np.arange(1, len(ORGANISATIONS) + 1, dtype=np.int64),
            "slug": [o[0] for o in ORGANISATIONS],
            "name": [o[1] for o in ORGANISATIONS],
            "time_zone": [o[2] for o in ORGANISATIONS],
            "currency": [o[3] for o in ORGANISATIONS],
        }
    )
    return venues, organisations


def draw_tour_dates(
    rng: np.random.Generator,
    log_k: np.ndarray,
    venues: pl.DataFrame,
    start: dt.datetime,
    horizon_days: int,
) -> pl.DataFrame:
    """Gigs per artist: Poisson in the artist's size, dated across the horizon, 20:00 UTC."""
    per_artist = rng.poisson(0.5 + 3.0 * (log_k - 2.5) / 5.0)
    artist_idx = np.repeat(np.arange(len(log_k)), per_artist)
    m = len(artist_idx)
    day = rng.integers(0, horizon_days + 60, m)
    starts = pl.Series(day.astype("int64") * 86_400_000_000 + 20 * 3_600_000_000).cast(
        pl.Duration("us")
    )
    lead_days = rng.integers(30, 120, m)
    return (
        pl.DataFrame(
            {
                "artist_id": (artist_idx + 1).astype(np.int64),
                "venue_id": rng.integers(1, venues.height + 1, m).astype(np.int64),
                "starts_at": starts + start,
                "on_sale_at": starts
                + start
                - pl.Series(lead_days.astype("int64") * 86_400_000_000).cast(pl.Duration("us")),
            }
        )
        .sort("artist_id", "starts_at")
        .with_row_index("event_id", offset=1)
        .with_columns(pl.col("event_id").cast(pl.Int64))
    )


def draw_shows(
    rng: np.random.Generator, tour_dates: pl.DataFrame, venues: pl.DataFrame
) -> pl.DataFrame:
    """Tour dates at the organisations' venues, with capacity and price; the final
    sell-through comes from the demand model in ``audience.show_sell_through``, which needs
    the artists' audience by city (``world.generate_world`` adds it)."""
    owned = tour_dates.join(
        venues.filter(pl.col("organisation_id").is_not_null()).select(
            "venue_id", "capacity", "typical_ticket_price"
        ),
        on="venue_id",
    ).sort("event_id")
    m = owned.height
    return owned.select(
        pl.col("event_id").alias("show_id"),
        "artist_id",
        "venue_id",
        "starts_at",
        "on_sale_at",
        "capacity",
        (pl.col("typical_ticket_price") * pl.Series(rng.uniform(0.8, 1.5, m)))
        .round(2)
        .alias("ticket_price"),
    )


def venue_costs(seed: int, venues: pl.DataFrame) -> pl.DataFrame:
    """``venues`` with ``fixed_cost`` (room, staff, security and production for one show:
    about 600 + 9 x capacity^0.85, +-20 %) and ``cost_per_head`` (ticketing, cleaning and
    stewarding per ticket sold: 1.50-4.00). Own generator: the rest of the world is unchanged."""
    rng = np.random.default_rng([seed, 0xC057])
    capacity = venues["capacity"].to_numpy().astype(np.float64)
    fixed = (600 + 9 * capacity**0.85) * rng.uniform(0.8, 1.2, venues.height)
    return venues.with_columns(
        pl.Series("fixed_cost", np.round(fixed, -1)),
        pl.Series("cost_per_head", np.round(rng.uniform(1.5, 4.0, venues.height), 2)),
    )


def ticket_sales_at(shows: pl.DataFrame, timestamp: dt.datetime) -> pl.DataFrame:
    """Cumulative tickets sold and gross per show on sale at ``timestamp``."""
    progress = (
        (pl.lit(timestamp) - pl.col("on_sale_at")).dt.total_seconds()
        / (pl.col("starts_at") - pl.col("on_sale_at")).dt.total_seconds()
    ).clip(0.0, 1.0)
    curve = 0.45 * (1 - (1 - progress) ** 4) + 0.55 * progress**3
    return (
        shows.filter(pl.col("on_sale_at") <= timestamp)
        .with_columns(
            tickets_sold=(pl.col("capacity") * pl.col("final_sell_through") * curve)
            .floor()
            .cast(pl.Int64)
        )
        .select(
            "show_id",
            "capacity",
            "tickets_sold",
            (pl.col("tickets_sold") * pl.col("ticket_price")).round(2).alias("gross"),
            pl.lit(timestamp).alias("as_of"),
        )
    )
