"""Raw observations of a simulated world, as the collectors would store them.

Only the series a viral detector may read are produced: followers and likes on every platform
(likes on Spotify, YouTube and Instagram arrive through scrapers) and YouTube views, sampled
every ``cadence`` from ``start`` to ``end``, as a collector receives them
(``simulator.observed``): no rows for an artist's missing days or a platform's outage, and a
renamed metric under its raw name while the rename lasts. Rows are ``OBSERVATION_SCHEMA``.
"""

import datetime as dt

import polars as pl

from promoteros_pipelines.domain.analytics.schema import OBSERVATION_SCHEMA
from promoteros_pipelines.simulator.observed import observed_metrics_at
from promoteros_pipelines.simulator.world import PLATFORMS, World

DETECTOR_METRICS = pl.DataFrame(
    {
        "platform": [*PLATFORMS, *PLATFORMS, "youtube"],
        "metric": ["followers"] * len(PLATFORMS) + ["likes"] * len(PLATFORMS) + ["views"],
    }
)


def sample_times(start: dt.datetime, end: dt.datetime, cadence: dt.timedelta) -> list[dt.datetime]:
    """Every ``cadence`` from ``start`` up to and including ``end``."""
    steps = int((end - start) / cadence)
    return [start + i * cadence for i in range(steps + 1)]


def world_observations(
    world: World, start: dt.datetime, end: dt.datetime, cadence: dt.timedelta
) -> pl.DataFrame:
    """Followers and engagement counters of every present artist at each sample time."""
    frames = [
        observed_metrics_at(world, at, metrics=DETECTOR_METRICS).with_columns(
            observed_at=pl.lit(at)
        )
        for at in sample_times(start, end, cadence)
    ]
    return (
        pl.concat(frames)
        .select(OBSERVATION_SCHEMA.names())
        .cast(dict(OBSERVATION_SCHEMA))
        .sort("observed_at")
    )
