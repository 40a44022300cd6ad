"""The report's rows: one per artist, platform, metric and day, built with bound parameters.

Each day holds the last value observed that day in the organisation's time zone, plus the
change from the previous reported day. A venue in the request brings in the tracked artists
whose genres fit the venue's (the acts that would fit its room), named in ``fits_venues``: the
same genre or a kind of it, through the taxonomy the weekly reports use (``domain/genres.py``),
so a techno act fits an "electronic" venue.
Only values travel as parameters; the SQL text is fixed, so nothing in a request can change it.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from promoteros_pipelines.defs.custom_reports.request import ReportRefused, ReportScope
from promoteros_pipelines.domain.genres import fitting_genres
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MAX_ROWS = 1_000_000  # an xlsx sheet holds 1,048,576 rows
COLUMNS = ("day", "artist", "platform", "metric", "value", "change", "fits_venues")

VENUES_SQL = """
SELECT name, genres FROM promoteros.venues
WHERE organisation_id = $1 AND venue_id = ANY($2) ORDER BY name
"""
GENRE_NAMES_SQL = "SELECT DISTINCT unnest(genres) AS genre FROM promoteros.artists"
ARTISTS_WITH_GENRES_SQL = """
SELECT artist_id, genres FROM promoteros.artists WHERE genres && $1::text[]
"""

DAILY_VALUES_SQL = """
SELECT DISTINCT ON (o.artist_id, o.platform, o.metric, (o.observed_at AT TIME ZONE $5)::date)
    o.artist_id, a.name AS artist, o.platform, o.metric,
    (o.observed_at AT TIME ZONE $5)::date AS day, o.value
FROM promoteros.metric_observations o
JOIN promoteros.artists a ON a.artist_id = o.artist_id
WHERE o.artist_id = ANY($1) AND o.metric = ANY($2) AND o.observed_at >= $3 AND o.observed_at < $4
ORDER BY o.artist_id, o.platform, o.metric, (o.observed_at AT TIME ZONE $5)::date,
    o.observed_at DESC
"""


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


def organisation_zone(warehouse: PostgresWarehouse, organisation_id: int) -> str:
    zone = warehouse.read_frame(
        "SELECT time_zone FROM promoteros.organisations WHERE organisation_id = $1",
        [organisation_id],
    )
    return str(zone["time_zone"][0])


def artists_fitting_venues(
    warehouse: PostgresWarehouse, organisation_id: int, venue_ids: list[int]
) -> pl.DataFrame:
    """(artist_id, fits_venues): each artist whose genres fit one of the venues, with the
    names of the venues it fits, comma-separated."""
    venues = warehouse.read_frame(VENUES_SQL, [organisation_id, venue_ids])
    stored = warehouse.read_frame(GENRE_NAMES_SQL)
    names = stored["genre"].to_list() if stored.height else []
    pairs = pl.DataFrame(
        [
            (venue["name"], genre)
            for venue in venues.iter_rows(named=True)
            for genre in fitting_genres(venue["genres"] or [], names)
        ],
        schema={"venue": pl.String, "genre": pl.String},
        orient="row",
    )
    empty = pl.DataFrame(schema={"artist_id": pl.Int64, "fits_venues": pl.String})
    if pairs.is_empty():
        return empty
    artists = warehouse.read_frame(ARTISTS_WITH_GENRES_SQL, [pairs["genre"].unique().to_list()])
    if artists.is_empty():
        return empty
    return (
        artists.explode("genres")
        .join(pairs, left_on="genres", right_on="genre")
        .group_by(pl.col("artist_id").cast(pl.Int64))
        .agg(pl.col("venue").unique().sort().str.join(", ").alias("fits_venues"))
    )


def report_rows(warehouse: PostgresWarehouse, scope: ReportScope) -> pl.DataFrame:
    """The report's table, ordered by artist, platform, metric and day."""
    zone_name = organisation_zone(warehouse, scope.organisation_id)
    zone = ZoneInfo(zone_name)
    venue_artists = pl.DataFrame(
        schema={"artist_id": pl.Int64, "fits_venues": pl.String},
    )
    if scope.venue_ids:
        venue_artists = artists_fitting_venues(
            warehouse, scope.organisation_id, list(scope.venue_ids)
        )
    artist_ids = sorted(set(scope.artist_ids) | set(venue_artists["artist_id"].to_list()))
    start = _local_midnight(scope.date_from, zone)
    end = _local_midnight(scope.date_to + timedelta(days=1), zone)
    daily = warehouse.read_frame(
        DAILY_VALUES_SQL, [artist_ids, list(scope.metrics), start, end, zone_name]
    )
    if daily.height > MAX_ROWS:
        raise ReportRefused(
            f"the report would have {daily.height:,} rows, more than {MAX_ROWS:,}; "
            "ask for fewer artists, metrics or days"
        )
    series = ["artist_id", "platform", "metric"]
    return (
        daily.with_columns(pl.col("artist_id").cast(pl.Int64), pl.col("value").cast(pl.Float64))
        .sort([*series, "day"])
        .with_columns(change=pl.col("value") - pl.col("value").shift(1).over(series))
        .join(venue_artists, on="artist_id", how="left")
        .sort(["artist", "artist_id", "platform", "metric", "day"])
        .select(COLUMNS)
    )
