"""The SQL that gathers what a booking recommendation needs: the latest scores above the
threshold, the venue and its booked dates, the artist's tour dates near it and in its market,
and the expected demand (the demand model when one is trained, else the venue's history).
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from promoteros_pipelines.defs.ticketing.demand import features as demand_features
from promoteros_pipelines.defs.ticketing.demand_store import (
    UntrustedModelError,
    load_demand_model,
)
from promoteros_pipelines.domain import ticketing_demand as demand
from promoteros_pipelines.domain.booking_offer import HORIZON, LIVE
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

ROUTING_RADIUS_KM = 400.0
COMPETITION_LOOKBACK = dt.timedelta(days=90)
# a pair whose opportunity closed recently is not offered again at once (no repeat alerts)
COOL_OFF = dt.timedelta(days=30)
# without a demand model or a played show at the venue, the projection says it is a placeholder
PLACEHOLDER_SHARE, PLACEHOLDER_MAE = 0.6, 0.2

LATEST_SCORES = """
WITH latest AS (
    SELECT DISTINCT ON (artist_id, venue_id) artist_id, venue_id, scored_at,
           score::float8 AS score, components, explanation, model_version
    FROM promoteros.booking_scores
    ORDER BY artist_id, venue_id, scored_at DESC
)
SELECT l.*, a.name AS artist, v.name AS venue, v.slug AS venue_slug, v.city, v.country,
       v.latitude, v.longitude, v.capacity, v.typical_ticket_price::float8 AS ticket_price,
       v.fixed_cost::float8 AS fixed_cost, v.cost_per_head::float8 AS cost_per_head,
       v.organisation_id, o.slug AS organisation, o.currency
FROM latest l
JOIN promoteros.artists a USING (artist_id)
JOIN promoteros.venues v USING (venue_id)
JOIN promoteros.organisations o ON o.organisation_id = v.organisation_id
WHERE l.score >= $1
  AND NOT EXISTS (SELECT 1 FROM promoteros.booking_opportunities b
      WHERE b.artist_id = l.artist_id AND b.venue_id = l.venue_id
        AND b.status NOT IN {live} AND b.updated_at > now() - $2::interval)
ORDER BY l.score DESC, l.artist_id, l.venue_id
""".replace("{live}", "('" + "', '".join(LIVE) + "')")

# haversine in SQL (km); the routing component of the score uses the same 400 km default
NEAR = """
2 * 6371 * asin(sqrt(power(sin(radians(t.latitude - %(lat)s) / 2), 2)
    + cos(radians(%(lat)s)) * cos(radians(t.latitude))
    * power(sin(radians(t.longitude - %(lon)s) / 2), 2)))
"""


@dataclass(frozen=True)
class DemandEstimate:
    share: float
    mae: float
    source: str


def latest_scores(warehouse: PostgresWarehouse, threshold: float) -> pl.DataFrame:
    """The latest score of every (artist, venue) pair at or above ``threshold``, with the
    venue, its organisation and costs; pairs closed in the last 30 days are left out."""
    return warehouse.read_frame(LATEST_SCORES, [threshold, f"{COOL_OFF.days} days"])


def booked_dates(warehouse: PostgresWarehouse, venue_id: int, today: dt.date) -> list[dt.date]:
    """Days with a show (not cancelled) at the venue within the booking horizon."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            "SELECT DISTINCT show_date FROM promoteros.shows WHERE venue_id = %s"
            " AND status <> 'cancelled' AND show_date BETWEEN %s AND %s",
            (venue_id, today, today + HORIZON),
        ).fetchall()
    return [row[0] for row in rows]


def nearby_tour_dates(
    warehouse: PostgresWarehouse, artist_id: int, venue: dict[str, Any], today: dt.date
) -> list[dict[str, Any]]:
    """The artist's announced dates within ROUTING_RADIUS_KM of the venue, in the horizon."""
    query = (
        f"SELECT t.event_id, t.event_date, t.venue_name, t.city, t.country,"
        f" round(({NEAR})::numeric, 0)::float8 AS distance_km"
        " FROM promoteros.tour_dates t WHERE t.artist_id = %(artist)s"
        " AND t.latitude IS NOT NULL AND t.longitude IS NOT NULL"
        " AND t.event_date BETWEEN %(start)s AND %(end)s"
        f" AND {NEAR} <= %(radius)s ORDER BY t.event_date"
    )
    params = {
        "artist": artist_id,
        "lat": venue["latitude"],
        "lon": venue["longitude"],
        "start": today,
        "end": today + HORIZON,
        "radius": ROUTING_RADIUS_KM,
    }
    with warehouse.connect() as conn:
        cursor = conn.execute(query, params)
        names = [c.name for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def market_shows(
    warehouse: PostgresWarehouse, artist_id: int, venue: dict[str, Any], today: dt.date
) -> tuple[list[dict[str, Any]], set[str]]:
    """The artist's recent (90 days) and announced shows in the venue's city at other venues
    (from tour dates and from our own shows table), and the names of our organisation's
    other venues in that city."""
    with warehouse.connect() as conn:
        ours = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM promoteros.venues WHERE organisation_id = %s AND venue_id <> %s"
                " AND lower(city) = lower(%s)",
                (venue["organisation_id"], venue["venue_id"], venue["city"]),
            ).fetchall()
        }
        rows = conn.execute(
            "SELECT event_date, venue_name FROM promoteros.tour_dates WHERE artist_id = %(a)s"
            " AND lower(city) = lower(%(city)s) AND event_date >= %(since)s"
            " AND lower(venue_name) <> lower(%(venue)s)"
            " UNION SELECT s.show_date, v.name FROM promoteros.shows s"
            " JOIN promoteros.venues v USING (venue_id) WHERE s.artist_id = %(a)s"
            " AND s.venue_id <> %(venue_id)s AND lower(v.city) = lower(%(city)s)"
            " AND s.show_date >= %(since)s AND s.status <> 'cancelled'"
            " ORDER BY 1",
            {
                "a": artist_id,
                "city": venue["city"],
                "since": today - COMPETITION_LOOKBACK,
                "venue": venue["venue"],
                "venue_id": venue["venue_id"],
            },
        ).fetchall()
    shows = [
        {
            "date": day.isoformat(),
            "venue_name": name,
            "when": "announced" if day >= today else "recent",
        }
        for day, name in rows
    ]
    return shows, ours


HYPOTHETICAL_SHOW = """
SELECT v.venue_id, v.capacity::float8 AS capacity,
       v.typical_ticket_price::float8 AS ticket_price,
       v.typical_ticket_price::float8 AS typical_price,
       cardinality(ARRAY(SELECT unnest(a.genres) INTERSECT SELECT unnest(v.genres)))::float8
           AS genre_fit,
       (SELECT count(*) FROM promoteros.viral_events e WHERE e.artist_id = a.artist_id)::float8
           AS viral_episodes,
       (SELECT c.listeners FROM promoteros.artist_city_audience c
        WHERE c.artist_id = a.artist_id AND c.city = v.city AND c.country = v.country
        ORDER BY c.observed_at DESC, c.listeners DESC LIMIT 1)::float8 AS market_listeners,
       (SELECT count(*) FROM promoteros.tour_dates d
        WHERE d.artist_id = a.artist_id AND d.city = v.city AND d.event_date < $3::date
          AND d.event_date >= $3::date - 120)::float8 AS recent_dates,
       {followers}
FROM promoteros.artists a, promoteros.venues v
WHERE a.artist_id = $1 AND v.venue_id = $2
"""
FOLLOWERS = """(SELECT m.value FROM promoteros.metric_observations m
    WHERE m.artist_id = a.artist_id AND m.platform = '{platform}' AND m.metric = 'followers'
      AND m.observed_at <= now() - interval '{days} days'
    ORDER BY m.observed_at DESC LIMIT 1) AS {name}"""


def load_model(warehouse: PostgresWarehouse) -> tuple[Any, str, float] | None:
    """The latest trusted demand model with its version and held-out MAE, or None."""
    latest = warehouse.read_frame(
        "SELECT path, version, (metrics->>'mae')::float8 AS mae FROM promoteros.demand_models"
        " ORDER BY created_at DESC LIMIT 1"
    )
    if latest.is_empty() or latest["mae"][0] is None:
        return None
    try:
        model = load_demand_model(warehouse, Path(latest["path"][0]))
    except (UntrustedModelError, OSError):
        return None
    return model, str(latest["version"][0]), float(latest["mae"][0])


def demand_estimate(
    warehouse: PostgresWarehouse,
    artist_id: int,
    venue_id: int,
    show_date: dt.date,
    model: tuple[Any, str, float] | None,
    components: dict[str, Any] | None = None,
) -> DemandEstimate:
    """The expected final sell-through of a show of the artist at the venue on ``show_date``
    put on sale today, and its error (see ``domain/booking_projection.py``).

    In order: the trained demand model (its error measured); else the booking score's own
    audience-based attendance (``components.expected_attendance``: the artist's listeners in
    the market x a ticket rate), specific to the artist but with no measured error; else the
    venue's played shows; else a stated placeholder."""
    if model is not None:
        fitted, version, mae = model
        followers = ",\n       ".join(
            FOLLOWERS.format(platform=p, days=days, name=f"{p}_{label}")
            for p in demand.PLATFORMS
            for days, label in ((0, "now"), (28, "before"))
        )
        frame = warehouse.read_frame(
            HYPOTHETICAL_SHOW.format(followers=followers), [artist_id, venue_id, show_date]
        ).with_columns(
            pl.lit(show_date).alias("show_date"),
            pl.lit(dt.datetime.now(dt.UTC)).cast(pl.Datetime("us", "UTC")).alias("on_sale_at"),
        )
        if not frame.is_empty():
            share = float(demand.predict(fitted, demand_features(frame))["predicted"][0])
            return DemandEstimate(
                share, mae, f"demand model {version}, held-out MAE {mae:.0%} of capacity"
            )
    expected = (components or {}).get("expected_attendance")
    capacity = (components or {}).get("capacity")
    if isinstance(expected, int | float) and isinstance(capacity, int | float) and capacity > 0:
        return DemandEstimate(
            min(1.0, max(0.0, expected / capacity)),
            PLACEHOLDER_MAE,
            f"no demand model trained yet: the booking score's audience estimate of "
            f"{expected:,.0f} tickets for {capacity:,.0f} places, capped at the room; its "
            f"error is not measured, so a spread of {PLACEHOLDER_MAE:.0%} is assumed",
        )
    history = warehouse.read_frame(
        "SELECT (SELECT t.tickets_sold FROM promoteros.ticket_sales t"
        "  WHERE t.show_id = s.show_id ORDER BY t.observed_at DESC LIMIT 1)::float8"
        "  / s.capacity AS share FROM promoteros.shows s"
        " WHERE s.venue_id = $1 AND s.status = 'played'",
        [venue_id],
    ).drop_nulls()
    if history.height >= 3:
        shares = history["share"].clip(0, 1)
        mean = float(shares.mean())  # type: ignore[arg-type]
        mae = float((shares - mean).abs().mean())  # type: ignore[arg-type]
        return DemandEstimate(
            mean,
            max(mae, 0.05),
            f"no demand model trained yet: the venue's mean over {history.height} played "
            "shows, spread from their mean absolute deviation",
        )
    return DemandEstimate(
        PLACEHOLDER_SHARE,
        PLACEHOLDER_MAE,
        "no demand model and fewer than 3 played shows at this venue: a placeholder of "
        f"{PLACEHOLDER_SHARE:.0%} +- {PLACEHOLDER_MAE:.0%}, not an estimate",
    )
