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
  The counter is the canonical one per platform (``schema.ENGAGEMENT_METRICS``: likes first,
  then views, comments, shares or saves where likes do not arrive); none arriving: null.
* ``engagement_rate``: engagements per follower of the same day, e.g. 0.082 = 8.2%.
* One-sample glitches (``glitches.py``) are left out before anything is computed.
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
from promoteros_pipelines.domain.analytics.glitches import without_glitches
from promoteros_pipelines.domain.analytics.grid import (
    SeriesGrid,
    decode_series,
    look_back,
    series_key,
)
from promoteros_pipelines.domain.analytics.schema import Frame, as_lazy, is_engagement_counter
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
    snapshots = (
        _day_end_values(as_lazy(observations), time_zone)
        .group_by("series", "day")
        .agg(
            pl.col("value").filter(pl.col("kind") == code).first().alias(name)
            for code, name in enumerate(SNAPSHOT_COLUMNS)
        )
        .collect()
    )
    keys = decode_series(snapshots["series"])
    return pl.concat([keys, snapshots.drop("series")], how="horizontal").lazy()


def _day_end_values(lf: pl.LazyFrame, time_zone: str) -> pl.LazyFrame:
    """The day's last value per series (``series_key()``), day and kind (an index into
    ``SNAPSHOT_COLUMNS``)."""
    is_engagement = is_engagement_counter()
    kind = (
        pl.when(pl.col("metric") == "followers")
        .then(0)
        .when(is_engagement)
        .then(1)
        .when(pl.col("metric") == "popularity")
        .then(2)
        .cast(pl.UInt8)
    )
    return (
        without_glitches(lf)
        .with_columns(
            kind=kind, day=pl.col("observed_at").dt.convert_time_zone(time_zone).dt.date()
        )
        .filter(pl.col("kind").is_not_null())
        .group_by(series_key(), "day", "kind")
        .agg(pl.col("value").max_by("observed_at"))
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator where the denominator is positive, else NaN (no warnings)."""
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _history_features(
    grid: SeriesGrid, sid: np.ndarray, di: np.ndarray, config: FeatureConfig
) -> dict[str, np.ndarray]:
    """Per-cell features against the previous observed day, for the cells (sid, di)."""
    followers = grid.values["followers"][sid, di]
    counter = grid.values["engagement_total"][sid, di]
    tol = config.prev_day_tolerance_days
    prev, gap = look_back(grid.values["followers"], sid, di, 1, tol - 1)
    prev_counter, counter_gap = look_back(grid.values["engagement_total"], sid, di, 1, tol - 1)
    gap_days = np.where(gap > 0, gap, np.nan)
    ratio = _ratio(followers, prev)
    stretched = gap > 1  # geometric growth per day over a gap
    ratio[stretched] **= 1.0 / gap[stretched]
    engagements = (counter - prev_counter) / np.where(counter_gap > 0, counter_gap, np.nan)
    engagements[~(engagements >= 0)] = np.nan
    return {
        "followers": followers,
        "days_since_prev": gap_days,
        "daily_change": (followers - prev) / gap_days,
        "growth_1d": ratio - 1.0,
        "engagements": engagements,
        "engagement_rate": _ratio(engagements, followers),
        "popularity": grid.values["popularity"][sid, di],
    }


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
    day_end = (
        _day_end_values(as_lazy(observations), config.time_zone)
        .filter(pl.col("day") >= origin, pl.col("day") <= end)
        .collect()
    )
    grid = SeriesGrid.from_values(day_end, SNAPSHOT_COLUMNS, origin, end)
    all_sid, all_di = grid.cells(origin, end)
    history = _history_features(grid, all_sid, all_di, config)
    wanted = all_di >= grid.day_index(start)
    sid, di = all_sid[wanted], all_di[wanted]
    columns = {name: values[wanted] for name, values in history.items()}
    for days, tolerance, name in (
        (7, config.growth_7d_tolerance_days, "growth_7d"),
        (28, config.growth_28d_tolerance_days, "growth_28d"),
    ):
        earlier, _ = look_back(grid.values["followers"], sid, di, days, tolerance)
        columns[name] = _ratio(columns["followers"], earlier) - 1.0
    for name in ("growth_1d", "engagement_rate"):
        median, mad, window_days = windowed_median_mad(
            grid.scatter(all_sid, all_di, history[name]),
            sid,
            di,
            config.baseline_days,
            config.min_baseline_days,
        )
        columns[f"{name}_baseline_median"] = median
        columns[f"{name}_baseline_mad"] = mad
        columns[f"{name}_baseline_days"] = window_days.astype(np.float64)
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
        .cast(DAILY_FEATURES_SCHEMA)
    )
