"""SQL for the booking area: tour dates, audience by city and booking scores.

Keys: ``tour_dates`` by Bandsintown's ``event_id``; ``artist_city_audience`` by (artist, city,
country, platform, observed_at); ``booking_scores`` by (artist, venue, scored_at). Every
writer is an upsert on its key, so a re-run writes nothing twice.
"""

import datetime as dt

import polars as pl

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

ARTISTS = "SELECT artist_id, name, genres FROM promoteros.artists ORDER BY artist_id"
SPOTIFY_IDS = (
    "SELECT artist_id, external_id AS spotify_id FROM promoteros.artist_platform_ids"
    " WHERE platform = 'spotify' ORDER BY artist_id"
)
# Momentum today and 14 days before (the trend), and the last viral event not dismissed.
ARTIST_SIGNALS = """
SELECT a.artist_id, a.name, a.genres,
       m.momentum_score,
       m.momentum_score - b.momentum_score AS momentum_trend,
       (SELECT max(e.detected_at)::date FROM promoteros.viral_events e
         WHERE e.artist_id = a.artist_id AND e.status <> 'dismissed') AS last_viral_at
FROM promoteros.artists a
LEFT JOIN LATERAL (SELECT momentum_score, day FROM promoteros.artist_momentum x
                   WHERE x.artist_id = a.artist_id AND x.day <= $1
                   ORDER BY x.day DESC LIMIT 1) m ON true
LEFT JOIN LATERAL (SELECT momentum_score FROM promoteros.artist_momentum x
                   WHERE x.artist_id = a.artist_id AND x.day <= m.day - 14
                   ORDER BY x.day DESC LIMIT 1) b ON true
"""
VENUES = """
SELECT venue_id, name, city, latitude, longitude, capacity, genres
FROM promoteros.venues WHERE latitude IS NOT NULL AND longitude IS NOT NULL
"""
# The latest listeners per artist and city (best platform), and the latest at least
# $2 days older (for the "lasting audience" of the gap-market component).
AUDIENCE = """
WITH latest AS (
  SELECT DISTINCT ON (artist_id, city, country, platform)
         artist_id, city, country, platform, latitude, longitude, listeners, observed_at
  FROM promoteros.artist_city_audience
  WHERE observed_at <= $1 AND latitude IS NOT NULL
  ORDER BY artist_id, city, country, platform, observed_at DESC
), earlier AS (
  SELECT DISTINCT ON (artist_id, city, country, platform)
         artist_id, city, country, platform, listeners
  FROM promoteros.artist_city_audience
  WHERE observed_at <= $1 - make_interval(days => $2::int)
  ORDER BY artist_id, city, country, platform, observed_at DESC
)
SELECT l.artist_id, l.latitude, l.longitude,
       max(l.listeners)::float8 AS listeners, max(e.listeners)::float8 AS listeners_before
FROM latest l LEFT JOIN earlier e USING (artist_id, city, country, platform)
GROUP BY l.artist_id, l.latitude, l.longitude
"""
TOUR_DATES = """
SELECT artist_id, event_date, city, latitude, longitude FROM promoteros.tour_dates
WHERE latitude IS NOT NULL AND longitude IS NOT NULL
"""
BOOKED = (
    "SELECT venue_id, show_date FROM promoteros.shows"
    " WHERE venue_id IS NOT NULL AND show_date IS NOT NULL AND status <> 'cancelled'"
)


def read_artists(warehouse: PostgresWarehouse) -> pl.DataFrame:
    return warehouse.read_frame(ARTISTS)


def read_spotify_ids(warehouse: PostgresWarehouse) -> pl.DataFrame:
    return warehouse.read_frame(SPOTIFY_IDS)


def store_tour_dates(warehouse: PostgresWarehouse, frame: pl.DataFrame) -> int:
    """Upsert by event_id: a moved date or venue overwrites the old one."""
    return warehouse.upsert("tour_dates", frame, key=["event_id"])


def store_city_audience(warehouse: PostgresWarehouse, frame: pl.DataFrame) -> int:
    key = ["artist_id", "city", "country", "platform", "observed_at"]
    return warehouse.upsert("artist_city_audience", frame, key=key)


def scoring_inputs(
    warehouse: PostgresWarehouse, as_of: dt.datetime, lasting_days: int
) -> dict[str, pl.DataFrame]:
    """Everything the booking score reads, as frames named like ``score_pairs``' arguments."""
    return {
        "artists": warehouse.read_frame(ARTIST_SIGNALS, [as_of.date()]),
        "venues": warehouse.read_frame(VENUES),
        "audience": warehouse.read_frame(AUDIENCE, [as_of, lasting_days]),
        "tour_dates": warehouse.read_frame(TOUR_DATES),
        "booked": warehouse.read_frame(BOOKED),
    }


def store_scores(warehouse: PostgresWarehouse, scores: pl.DataFrame) -> int:
    """Insert one run's scores (components as jsonb); the key (artist, venue, scored_at)
    makes a retried run with the same ``scored_at`` a no-op."""
    if scores.is_empty():
        return 0
    frame = scores.select(
        "artist_id",
        "venue_id",
        "scored_at",
        "score",
        pl.col("components").struct.json_encode(),
        "explanation",
        "model_version",
    )
    with warehouse.arrow_connection() as conn:
        with conn.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE stage_booking_scores (artist_id bigint, venue_id bigint,"
                " scored_at timestamptz, score float8, components text, explanation text,"
                " model_version text) ON COMMIT DROP"
            )
            cursor.adbc_ingest(
                "stage_booking_scores", frame.to_arrow(), mode="append", temporary=True
            )
            cursor.execute(
                "INSERT INTO promoteros.booking_scores (artist_id, venue_id, scored_at, score,"
                " components, explanation, model_version)"
                " SELECT artist_id, venue_id, scored_at, round(score::numeric, 1),"
                " components::jsonb, explanation, model_version FROM stage_booking_scores"
                " ON CONFLICT (artist_id, venue_id, scored_at) DO NOTHING"
            )
            written = cursor.rowcount
        conn.commit()
    return int(written)


def latest_scores(warehouse: PostgresWarehouse, limit: int = 20) -> pl.DataFrame:
    """The latest run's best pairs, with names, for the asset's preview."""
    return warehouse.read_frame(
        "SELECT a.name AS artist, v.name AS venue, v.city, s.score::float8 AS score,"
        " s.explanation FROM promoteros.booking_scores s"
        " JOIN promoteros.artists a USING (artist_id) JOIN promoteros.venues v USING (venue_id)"
        " WHERE s.scored_at = (SELECT max(scored_at) FROM promoteros.booking_scores)"
        " ORDER BY s.score DESC, s.artist_id, s.venue_id LIMIT $1",
        [limit],
    )
