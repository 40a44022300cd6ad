"""Daily features per artist and platform, from raw ``metric_observations``.

Definitions (growth is a fraction: 0.62 means +62%):

* ``followers``: the last followers observation of the day (days in ``FeatureConfig.time_zone``).
* ``days_since_prev`` / ``daily_change`` / ``growth_1d``: against the nearest earlier observed
  day at most ``prev_day_tolerance_days`` back. Over a gap both are per day (linear change,
  geometric growth), so a 3-day gap does not look like a 3x spike; beyond the tolerance: null.
* ``growth_7d`` / ``growth_28d``: against the nearest observation at or before day-7 (day-28),
  at most 2 (4) days older; else null. Not rescaled: the span is within a few days of nominal.
* ``engagements``: the per-day increase of the platform's engagement counter since the previous
  observed day (same tolerance); a decrease (counter reset, deleted posts) is null, not zero.
  YouTube: channel views; TikTok: likes; Instagram: likes (comments are ~1-3% of likes and
  observed less often); Spotify: none (it exposes only followers and popularity), so null.
* ``engagement_rate``: engagements per follower of the same day (views per subscriber on
  YouTube), e.g. 0.082 = 8.2%.
* ``growth_1d_baseline_*`` / ``engagement_rate_baseline_*``: median and MAD over the 28 days
  before the day (the day excluded), null with fewer than 7 observed days.
* ``growth_z``: robust z of today's ``growth_1d`` against that baseline, the scale being
  ``max(1.4826 * MAD, min_growth_scale)`` so a perfectly flat history (MAD 0) gives a finite z.
* ``engagement_ratio``: ``engagement_rate`` / its baseline median (null when the median is 0).
"""

from datetime import date, timedelta

import numpy as np
import polars as pl

from promoteros_pipelines.domain.analytics.baseline import windowed_median_mad
from promoteros_pipelines.domain.analytics.grid import SeriesGrid, look_back
from promoteros_pipelines.domain.analytics.schema import ENGAGEMENT_METRIC, KEYS, Frame, as_lazy
from promoteros_pipelines.domain.analytics.thresholds import (
    DEFAULT_FEATURE_CONFIG,
    FeatureConfig,
    robust_z,
    tier_of,
)

DAILY_FEATURES_SCHEMA = pl.Schema(
    {
        "artist_id": pl.Int64,
        "platform": pl.Utf8,
        "day": pl.Date,
        "followers": pl.Float64,
        "days_since_prev": pl.Int32,
        "daily_change": pl.Float64,
        "growth_1d": pl.Float64,
        "growth_7d": pl.Float64,
        "growth_28d": pl.Float64,
        "engagements": pl.Float64,
        "engagement_rate": pl.Float64,
        "popularity": pl.Float64,
        "peer_tier": pl.Utf8,
        "growth_1d_baseline_median": pl.Float64,
        "growth_1d_baseline_mad": pl.Float64,
        "growth_1d_baseline_days": pl.Int32,
        "engagement_rate_baseline_median": pl.Float64,
        "engagement_rate_baseline_mad": pl.Float64,
        "engagement_rate_baseline_days": pl.Int32,
        "growth_z": pl.Float64,
        "engagement_ratio": pl.Float64,
    }
)


SNAPSHOT_COLUMNS = ("followers", "engagement_total", "popularity")


def observation_window(start: date, config: FeatureConfig = DEFAULT_FEATURE_CONFIG) -> date:
    """First day of observations ``daily_features(start=...)`` needs (read from there on)."""
    return start - timedelta(days=config.history_days)


def daily_snapshots(observations: Frame, *, time_zone: str = "UTC") -> pl.LazyFrame:
    """Day-end followers, engagement counter and popularity per artist, platform and day."""
    return _day_end(as_lazy(observations), time_zone).with_columns(pl.col("platform").cast(pl.Utf8))


def _day_end(lf: pl.LazyFrame, time_zone: str) -> pl.LazyFrame:
    """``daily_snapshots`` with ``platform`` as a Categorical: grouping by an integer code is
    several times faster than by a string on millions of rows."""
    is_engagement = pl.any_horizontal(
        (pl.col("platform") == platform) & (pl.col("metric") == metric)
        for platform, metric in ENGAGEMENT_METRIC.items()
    )
    kind = (
        pl.when(pl.col("metric") == "followers")
        .then(0)
        .when(is_engagement)
        .then(1)
        .when(pl.col("metric") == "popularity")
        .then(2)
        .cast(pl.UInt8)
    )
    day_end = (
        lf.with_columns(
            _kind=kind, day=pl.col("observed_at").dt.convert_time_zone(time_zone).dt.date()
        )
        .filter(pl.col("_kind").is_not_null())
        .with_columns(pl.col("platform").cast(pl.Categorical))
        .group_by([*KEYS, "day", "_kind"])
        .agg(pl.col("value").max_by("observed_at"))
    )
    return day_end.group_by([*KEYS, "day"]).agg(
        pl.col("value").filter(pl.col("_kind") == code).first().alias(name)
        for code, name in enumerate(SNAPSHOT_COLUMNS)
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator where the denominator is positive, else NaN (no warnings)."""
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _feature_grids(grid: SeriesGrid, config: FeatureConfig) -> dict[str, np.ndarray]:
    """Every per-cell feature that only looks back along its own series."""
    followers = grid.values["followers"]
    counter = grid.values["engagement_total"]
    tol = config.prev_day_tolerance_days
    prev, gap = look_back(followers, 1, tol - 1)
    prev_counter, counter_gap = look_back(counter, 1, tol - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_days = np.where(gap > 0, gap, np.nan)
        growth_1d = np.where(prev > 0, (followers / prev) ** (1.0 / gap_days) - 1.0, np.nan)
        engagements = (counter - prev_counter) / np.where(counter_gap > 0, counter_gap, np.nan)
    engagements[engagements < 0] = np.nan
    features = {
        "followers": followers,
        "days_since_prev": gap_days,
        "daily_change": (followers - prev) / gap_days,
        "growth_1d": growth_1d,
        "engagements": engagements,
        "engagement_rate": _ratio(engagements, followers),
        "popularity": grid.values["popularity"],
    }
    for days, tolerance, name in (
        (7, config.growth_7d_tolerance_days, "growth_7d"),
        (28, config.growth_28d_tolerance_days, "growth_28d"),
    ):
        earlier, _ = look_back(followers, days, tolerance)
        features[name] = _ratio(followers, earlier) - 1.0
    return features


def daily_features(
    observations: Frame,
    *,
    start: date,
    end: date | None = None,
    config: FeatureConfig = DEFAULT_FEATURE_CONFIG,
) -> pl.LazyFrame:
    """Features for every artist-platform observed on a day in [start, end] (default: start).

    ``observations`` must reach back to ``observation_window(start)`` for full baselines; less
    history only makes the long-range columns null. Natural key: (artist_id, platform, day).
    Output schema: ``DAILY_FEATURES_SCHEMA``. The snapshots are collected here and the
    look-backs run on a numpy grid (``grid.py``); the result is returned lazily.
    """
    end = start if end is None else end
    origin = observation_window(start, config)
    snaps = (
        _day_end(as_lazy(observations), config.time_zone)
        .filter(pl.col("day") >= origin, pl.col("day") <= end)
        .collect()
    )
    grid = SeriesGrid.from_frame(snaps, list(SNAPSHOT_COLUMNS), origin, end)
    features = _feature_grids(grid, config)
    sid, di = grid.cells(start, end)
    columns = {name: values[sid, di] for name, values in features.items()}
    for name in ("growth_1d", "engagement_rate"):
        median, mad, days = windowed_median_mad(features[name], sid, di, config.baseline_days)
        enough = days >= config.min_baseline_days
        columns[f"{name}_baseline_median"] = np.where(enough, median, np.nan)
        columns[f"{name}_baseline_mad"] = np.where(enough, mad, np.nan)
        columns[f"{name}_baseline_days"] = days.astype(np.float64)
    return (
        grid.frame(sid, di, columns)
        .lazy()
        .with_columns(
            peer_tier=tier_of(pl.col("followers")),
            growth_z=robust_z(
                pl.col("growth_1d"),
                pl.col("growth_1d_baseline_median"),
                pl.col("growth_1d_baseline_mad"),
                config.min_growth_scale,
            ),
            engagement_ratio=pl.when(pl.col("engagement_rate_baseline_median") > 0).then(
                pl.col("engagement_rate") / pl.col("engagement_rate_baseline_median")
            ),
        )
        .select(DAILY_FEATURES_SCHEMA.names())
        .cast(dict(DAILY_FEATURES_SCHEMA))
    )
