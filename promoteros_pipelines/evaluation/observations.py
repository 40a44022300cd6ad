"""Raw observations of a simulated world, as the collectors would store them.

Only the series the viral detector reads are produced (followers and each platform's engagement
counter), sampled every ``cadence`` from ``start`` to ``end``. Rows are ``OBSERVATION_SCHEMA``.
"""

import datetime as dt

import polars as pl

from promoteros_pipelines.domain.analytics.schema import ENGAGEMENT_METRIC, OBSERVATION_SCHEMA
from promoteros_pipelines.simulator.world import World, metrics_at

DETECTOR_METRICS = pl.DataFrame(
    {
        "platform": ["spotify", "youtube", "tiktok", "instagram", *ENGAGEMENT_METRIC],
        "metric": ["followers"] * 4 + list(ENGAGEMENT_METRIC.values()),
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
        metrics_at(world, at)
        .join(DETECTOR_METRICS, on=["platform", "metric"], how="semi")
        .with_columns(observed_at=pl.lit(at))
        for at in sample_times(start, end, cadence)
    ]
    return (
        pl.concat(frames)
        .select(OBSERVATION_SCHEMA.names())
        .cast(dict(OBSERVATION_SCHEMA))
        .sort("observed_at")
    )
