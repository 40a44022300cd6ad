"""The demo's simulated world: a roster with history, and the simulator serving it.

A new user has no platform credentials and no history, so the demo makes both: the world's
artists that are *not* trending right now become the promoter's existing roster, with 35
days of daily history written straight from the simulator's model (``source`` =
``'simulator-seed'``); the trending ones are left for discovery to find over HTTP.
"""

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import polars as pl

from promoteros_pipelines.domain.discovery import normalized_name
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.net import free_loopback_port
from promoteros_pipelines.simulator import (
    World,
    generate_world,
    metrics_at,
    trending_at,
)

DEMO_SEED = 7
DEMO_ARTISTS = 2_000
HISTORY_DAYS = 35
TRENDING_LEFT_FOR_DISCOVERY = 300


def demo_world() -> World:
    return generate_world(seed=DEMO_SEED, n_artists=DEMO_ARTISTS)


@contextmanager
def running_simulator(world: World, timeout: float = 60.0) -> Iterator[str]:
    """`promoteros simulate serve` for ``world`` on a free loopback port; yields its base URL.

    A separate process, so the simulator and the pipelines each get a core.
    """
    port = free_loopback_port()
    command = [sys.executable, "-m", "promoteros_pipelines.cli", "simulate", "serve"]
    command += ["--port", str(port), "--seed", str(world.seed), "--artists", str(world.n_artists)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"the simulator did not start: {error.strip()[-500:]}")
            try:
                httpx.get(f"{base_url}/_control/world", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the simulator did not answer within a minute") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def set_clock(base_url: str, now: dt.datetime) -> None:
    """Move the simulator's clock (the demo pulls each window as it would have ended)."""
    httpx.post(f"{base_url}/_control/clock", json={"now": now.isoformat()}).raise_for_status()


def seed_roster(warehouse: PostgresWarehouse, world: World) -> dict[str, int]:
    """Track the non-trending artists with their platform ids and daily history.

    Idempotent: an existing roster (any artist already tracked) is left as it is.
    """
    if not warehouse.read_frame("SELECT 1 FROM promoteros.artists LIMIT 1").is_empty():
        return {"artists": 0, "observations": 0}
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
    midnight = world.present.replace(hour=0, minute=0, second=0, microsecond=0)
    days = [midnight - dt.timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
    history = pl.concat(
        metrics_at(world, day)
        .join(roster.select("artist_id"), on="artist_id")
        .with_columns(pl.lit(day).dt.convert_time_zone("UTC").alias("observed_at"))
        for day in days
    ).with_columns(pl.lit("simulator-seed").alias("source"))
    written = warehouse.upsert(
        "metric_observations",
        history.select("artist_id", "platform", "metric", "observed_at", "value", "source"),
        key=["artist_id", "platform", "metric", "observed_at"],
    )
    return {"artists": artists.height, "observations": written}


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
