"""The demo's simulated world: a roster with history, and the simulator serving it.

A new user has no platform credentials and no history, so the demo makes both. The world is
anchored at the present (``runtime.simulated_world``): its artists that are *not* trending
now become the promoter's existing roster, with ``HISTORY_DAYS`` of observations every six
hours up to the last pulled windows, written straight from the simulator's model (``source``
= ``'simulator-seed'``), as if the 6-hourly pulls had been running; the trending ones are left
for discovery to find over HTTP.
"""

import datetime as dt
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx
import polars as pl

from promoteros_pipelines.domain.discovery import normalized_name
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.net import free_loopback_port
from promoteros_pipelines.runtime.simulated_world import WINDOW, WorldAnchor
from promoteros_pipelines.simulator import (
    World,
    generate_world,
    metrics_at,
    trending_at,
)

TRENDING_LEFT_FOR_DISCOVERY = 300
OBSERVATION_KEY = ["artist_id", "platform", "metric", "observed_at"]


def demo_world(anchor: WorldAnchor) -> World:
    return generate_world(seed=anchor.seed, n_artists=anchor.artists, present=anchor.present)


@contextmanager
def running_simulator(world: World, now: dt.datetime, timeout: float = 60.0) -> Iterator[str]:
    """`promoteros simulate serve` for ``world`` on a free loopback port, its clock standing at
    ``now`` (the demo moves it); yields its base URL.

    A separate process, so the simulator and the pipelines each get a core. Its stderr goes to
    a file, never an unread pipe: a full pipe would stop the server at its next error message.
    """
    port = free_loopback_port()
    command = [sys.executable, "-m", "promoteros_pipelines.cli", "simulate", "serve"]
    command += ["--port", str(port), "--seed", str(world.seed), "--artists", str(world.n_artists)]
    command += ["--present", world.present.isoformat(), "--now", now.isoformat(), "--speed", "0"]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_answering(base_url, process, errors, timeout)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_answering(
    base_url: str, process: subprocess.Popen, errors: IO[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            errors.seek(0)
            error = errors.read().decode(errors="replace")
            raise RuntimeError(f"the simulator did not start: {error.strip()[-500:]}")
        try:
            httpx.get(f"{base_url}/_control/world", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator did not answer within a minute") from None
            time.sleep(0.2)


def set_clock(base_url: str, now: dt.datetime) -> None:
    """Move the simulator's clock (the demo pulls each window as it would have ended)."""
    httpx.post(f"{base_url}/_control/clock", json={"now": now.isoformat()}).raise_for_status()


@dataclass(frozen=True)
class Seeded:
    """What ``seed_roster`` wrote: new roster artists, observations, and the 6-hour windows
    (each window's end, where its observations are stamped) it covered."""

    artists: int
    observations: int
    window_ends: list[dt.datetime]


def window_ends(first_day: dt.date, until: dt.datetime) -> list[dt.datetime]:
    """Every 6-hour window end after ``first_day``'s midnight, up to and including ``until``."""
    end = dt.datetime.combine(first_day, dt.time(), dt.UTC) + WINDOW
    ends = []
    while end <= until:
        ends.append(end)
        end += WINDOW
    return ends


def _roster(warehouse: PostgresWarehouse, world: World) -> tuple[pl.DataFrame, int]:
    """The roster's artist ids, tracking them first when the warehouse has no artist yet."""
    existing = warehouse.read_frame(
        "SELECT artist_id FROM promoteros.artists WHERE source = 'simulator-seed'"
    )
    if (
        existing.height
        or not warehouse.read_frame("SELECT 1 FROM promoteros.artists LIMIT 1").is_empty()
    ):
        return existing, 0
    trending = {
        artist
        for platform in ("spotify", "youtube", "tiktok")
        for artist in trending_at(world, world.present, platform)
        .head(TRENDING_LEFT_FOR_DISCOVERY)["artist_id"]
        .to_list()
    }
    roster = world.artists.filter(~pl.col("artist_id").is_in(list(trending)))
    artists = roster.select(
        "artist_id",
        "name",
        normalized_name(pl.col("name")).alias("normalized_name"),
        pl.col("genres"),
        "home_city",
        pl.lit("simulator-seed").alias("source"),
        pl.lit("Existing roster in the demo world").alias("discovery_reason"),
        _tracked_since(world.present, pl.col("artist_id")).alias("first_seen_at"),
    )
    _insert_with_ids(warehouse, artists)
    # artists discovered later get ids after the world's, never one of theirs
    warehouse.execute(
        "SELECT setval(pg_get_serial_sequence('promoteros.artists', 'artist_id'), %s)",
        (world.n_artists,),
    )
    ids = world.platform_ids.join(roster.select("artist_id"), on="artist_id").select(
        "artist_id", "platform", "external_id"
    )
    warehouse.append("artist_platform_ids", ids)
    return roster.select("artist_id"), artists.height


def seed_roster(
    warehouse: PostgresWarehouse, world: World, first_day: dt.date, until: dt.datetime
) -> Seeded:
    """Track the non-trending artists (once) and write their observations for every 6-hour
    window from ``first_day`` to ``until``, stamped at each window's end.

    Idempotent: an existing roster is kept, and observations are upserted on their natural key
    with the values the world always gives for that moment.
    """
    roster, new_artists = _roster(warehouse, world)
    ends = window_ends(first_day, until)
    written = 0
    for chunk in range(0, len(ends), 28):  # a week at a time keeps memory flat
        history = pl.concat(
            metrics_at(world, end)
            .join(roster, on="artist_id")
            .with_columns(pl.lit(end).dt.convert_time_zone("UTC").alias("observed_at"))
            for end in ends[chunk : chunk + 28]
        ).with_columns(pl.lit("simulator-seed").alias("source"))
        written += warehouse.upsert(
            "metric_observations",
            history.select(*OBSERVATION_KEY, "value", "source"),
            key=OBSERVATION_KEY,
        )
    return Seeded(new_artists, written, ends)


def _tracked_since(present: dt.datetime, artist_id: pl.Expr) -> pl.Expr:
    """When the roster artist started being tracked: a fixed scatter by id over the year before
    the world's present (~30 a week), so the weekly report's "new artists" compares real weeks
    in world time rather than counting everyone on today's date."""
    midnight = present.replace(hour=0, minute=0, second=0, microsecond=0)
    hours_back = (artist_id * 7919 % (365 * 24)).cast(pl.Int64)
    return pl.lit(midnight) - pl.duration(hours=hours_back)


def _insert_with_ids(warehouse: PostgresWarehouse, artists: pl.DataFrame) -> None:
    """Keep the world's artist ids, so the demo's numbers match the simulator's ground truth."""
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO promoteros.artists (artist_id, name, normalized_name, genres, home_city,"
            " source, discovery_reason, first_seen_at) OVERRIDING SYSTEM VALUE"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            artists.rows(),
        )
