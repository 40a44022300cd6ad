"""What a collector receives from the world: the platforms' values with gaps and renames.

``metrics_at`` is what a platform reports when it answers. A collector sees less and sees it
under other names: no row for an artist during its ``missing_days``, no row at all for a
platform during an outage (``World.outages``; the simulated APIs answer 503), and a metric
under its raw field name (``lookalikes.RENAMED``) during a ``metric_rename``, as a scraper
that changed its field names would send it.
"""

import datetime as dt

import polars as pl

from promoteros_pipelines.simulator.lookalikes import RENAMED
from promoteros_pipelines.simulator.memo import kept
from promoteros_pipelines.simulator.world import World, metrics_at

_RENAMES = pl.DataFrame(
    {
        "platform": [platform for platform, _ in RENAMED],
        "metric": [metric for _, metric in RENAMED],
        "renamed": list(RENAMED.values()),
    }
)


def _active(frame: pl.DataFrame, at: dt.datetime) -> pl.DataFrame:
    return frame.filter(pl.col("start") <= at, pl.col("end") > at)


def platform_down(world: World, platform: str, at: dt.datetime) -> bool:
    """Whether ``platform`` is in an outage at ``at``. Every data request asks this: the
    outages are read once per world as plain intervals (a filter of the outages frame per
    request was three quarters of the simulator's time for each one-artist request)."""
    intervals = kept(
        world,
        ("outages", platform),
        lambda: world.outages.filter(pl.col("platform") == platform).select("start", "end").rows(),
    )
    return any(start <= at < end for start, end in intervals)


def missing_artists(world: World, at: dt.datetime) -> pl.DataFrame:
    """(artist_id, platform) pairs that have no observation at ``at``."""
    return (
        _active(world.decoys, at)
        .filter(pl.col("kind") == "missing_days")
        .select("artist_id", "platform")
        .unique()
    )


def observed_metrics_at(
    world: World, at: dt.datetime, *, scraped: bool = True, metrics: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``metrics_at`` as a collector receives it at ``at``: without the artists missing then,
    without the platforms down then, renamed metrics under their raw names.

    ``metrics`` (platform, metric) restricts the rows to those series before renaming.
    """
    frame = metrics_at(world, at, scraped=scraped)
    if metrics is not None:
        frame = frame.join(metrics, on=["platform", "metric"], how="semi")
    down = _active(world.outages, at).select("platform").unique()
    renamed = (
        _active(world.decoys, at)
        .filter(pl.col("kind") == "metric_rename")
        .select("artist_id", "platform", "metric")
        .join(_RENAMES, on=["platform", "metric"])
    )
    return (
        frame.join(missing_artists(world, at), on=["artist_id", "platform"], how="anti")
        .join(down, on="platform", how="anti")
        .join(renamed, on=["artist_id", "platform", "metric"], how="left")
        .with_columns(metric=pl.coalesce("renamed", "metric"))
        .drop("renamed")
    )
