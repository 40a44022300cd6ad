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
from dataclasses import dataclass

import polars as pl

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

REFRESH_WINDOW = dt.timedelta(minutes=90)
"""The part of the 2-hour period a refresh may spend asking: it ends before the next run."""
REQUESTS_PER_ARTIST = {"bandsintown": 1, "chartmetric": 2}
"""What one artist costs each source (the sources of ``booking_refreshes``)."""
LAST_REFRESHED = (
    "SELECT artist_id, refreshed_at FROM promoteros.booking_refreshes WHERE source = $1"
)


def artists_per_run(
    requests_per_second: float, requests_per_artist: int, window: dt.timedelta = REFRESH_WINDOW
) -> int:
    """How many artists one run can ask for within the API's rate limit."""
    return max(1, math.floor(requests_per_second * window.total_seconds() / requests_per_artist))


@dataclass(frozen=True)
class RefreshPlan:
    """The artists one run asks ``source`` for, and how many wait for later runs."""

    source: str
    asked: pl.DataFrame
    waiting: int
    started_at: dt.datetime

    @property
    def metadata(self) -> dict[str, int]:
        return {"artists_asked": self.asked.height, "artists_waiting_for_next_runs": self.waiting}

    def record(self, warehouse: PostgresWarehouse, key: str, failed: list[str]) -> int:
        """Note that the asked artists were refreshed when the run started, except those whose
        ``key`` (the id the API was asked by) is in ``failed``: they come first again."""
        refreshed = self.asked.filter(~pl.col(key).is_in(failed)).select(
            "artist_id",
            source=pl.lit(self.source),
            refreshed_at=pl.lit(self.started_at, dtype=pl.Datetime("us", "UTC")),
        )
        return warehouse.upsert("booking_refreshes", refreshed, key=["artist_id", "source"])


def plan(
    warehouse: PostgresWarehouse,
    artists: pl.DataFrame,
    source: str,
    requests_per_second: float,
    max_artists: int | None = None,
) -> RefreshPlan:
    """The rows of ``artists`` (with an ``artist_id`` column) to ask ``source`` for this run,
    longest unrefreshed first: ``max_artists`` of them, else what the rate limit allows."""
    limit = max_artists or artists_per_run(requests_per_second, REQUESTS_PER_ARTIST[source])
    started_at = dt.datetime.now(dt.UTC)
    last = warehouse.read_frame(LAST_REFRESHED, [source])
    ordered = (
        artists.join(last, on="artist_id", how="left")
        .sort("refreshed_at", "artist_id", nulls_last=False)
        .drop("refreshed_at")
    )
    return RefreshPlan(source, ordered.head(limit), max(0, ordered.height - limit), started_at)
