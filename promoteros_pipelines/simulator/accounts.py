"""What one platform's API knows of each account at an instant: the rows its endpoints answer
from (``platform_snapshot``) and the one-account look-ups they make a request (indexed once,
not filtered each time)."""

import datetime as dt

import polars as pl

from promoteros_pipelines.simulator.memo import first_rows_by, kept, remembered
from promoteros_pipelines.simulator.world import World, metrics_at


def snapshot_row(
    world: World, timestamp: dt.datetime, platform: str, external_id: str
) -> dict | None:
    """One account's row of ``platform_snapshot`` (TikTok, Instagram: one account a request)."""
    index = remembered(
        world,
        ("snapshot_index", timestamp, platform),
        lambda: first_rows_by(platform_snapshot(world, timestamp, platform), "external_id"),
    )
    return index.get(external_id)


def artist_lookup(world: World, platform: str) -> pl.DataFrame:
    """external_id -> artist_id, name (and secondary_id) for one platform, cached."""
    return kept(
        world,
        (platform,),
        lambda: world.platform_ids.filter(pl.col("platform") == platform).join(
            world.artists.select("artist_id", "name"), on="artist_id"
        ),
    )


def lookup_row(world: World, platform: str, column: str, value: object) -> dict | None:
    """The first row of ``artist_lookup`` whose ``column`` is ``value``."""
    index = kept(
        world,
        ("index", platform, column),
        lambda: first_rows_by(artist_lookup(world, platform), column),
    )
    return index.get(value)


def platform_snapshot(world: World, timestamp: dt.datetime, platform: str) -> pl.DataFrame:
    """One row per artist present on ``platform`` and not missing at ``timestamp`` (see
    ``lookalikes``): ids, name, genres and metrics (scraped ones included) as columns."""
    return remembered(
        world, ("snapshot", timestamp, platform), lambda: _snapshot(world, timestamp, platform)
    )


def _snapshot(world: World, timestamp: dt.datetime, platform: str) -> pl.DataFrame:
    missing = (
        world.decoys.filter(
            pl.col("kind") == "missing_days",
            pl.col("platform") == platform,
            pl.col("start") <= timestamp,
            pl.col("end") > timestamp,
        )
        .select("artist_id")
        .unique()
    )
    wide = (
        metrics_at(world, timestamp, scraped=True)
        .filter(pl.col("platform") == platform)
        .join(missing, on="artist_id", how="anti")
        .pivot("metric", index="artist_id", values="value")
    )
    return (
        artist_lookup(world, platform)
        .join(wide, on="artist_id")
        .join(world.artists.select("artist_id", "genres"), on="artist_id")
    )
