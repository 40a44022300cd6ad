"""Which artists a booking refresh asks for: the longest unrefreshed first, within a budget.

Bandsintown (one request an artist) and Chartmetric (two) allow a few requests a second, so a
2-hourly refresh of every tracked artist stops fitting in its period long before the catalogue
reaches the issue's 25,000 artists. Each run therefore asks for at most what the API's rate
limit allows in ``REFRESH_WINDOW``, longest unrefreshed first (never refreshed before anyone),
and records who was refreshed; the rest wait for the next runs. A failed artist is not
recorded, so it comes first again next time.
"""

import datetime as dt
import math

import polars as pl

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

REFRESH_WINDOW = dt.timedelta(minutes=90)
"""The part of the 2-hour period a refresh may spend asking: it ends before the next run."""
LAST_REFRESHED = (
    "SELECT artist_id, refreshed_at FROM promoteros.booking_refreshes WHERE source = $1"
)


def artists_per_run(
    requests_per_second: float, requests_per_artist: int, window: dt.timedelta = REFRESH_WINDOW
) -> int:
    """How many artists one run can ask for within the API's rate limit."""
    return max(1, math.floor(requests_per_second * window.total_seconds() / requests_per_artist))


def due_first(
    warehouse: PostgresWarehouse, artists: pl.DataFrame, source: str, limit: int
) -> tuple[pl.DataFrame, int]:
    """The rows of ``artists`` (with an ``artist_id`` column) to ask ``source`` for this run,
    longest unrefreshed first, at most ``limit``; and how many are left for later runs."""
    last = warehouse.read_frame(LAST_REFRESHED, [source])
    ordered = (
        artists.join(last, on="artist_id", how="left")
        .sort("refreshed_at", "artist_id", nulls_last=False)
        .drop("refreshed_at")
    )
    return ordered.head(limit), max(0, ordered.height - limit)


def record_refreshed(
    warehouse: PostgresWarehouse,
    asked: pl.DataFrame,
    key: str,
    failed: list[str],
    source: str,
    at: dt.datetime,
) -> int:
    """Note that the artists of ``asked`` were refreshed from ``source`` at ``at``, except
    those whose ``key`` (the id the API was asked by) is in ``failed``: they come first again."""
    refreshed = asked.filter(~pl.col(key).is_in(failed)).select(
        "artist_id",
        source=pl.lit(source),
        refreshed_at=pl.lit(at, dtype=pl.Datetime("us", "UTC")),
    )
    return warehouse.upsert("booking_refreshes", refreshed, key=["artist_id", "source"])
