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

import polars as pl

from promoteros_pipelines.domain.analytics.baseline import robust_baseline
from promoteros_pipelines.domain.analytics.schema import KEYS, Frame, as_lazy, engagement_metric
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


def observation_window(start: date, config: FeatureConfig = DEFAULT_FEATURE_CONFIG) -> date:
    """First day of observations ``daily_features(start=...)`` needs (read from there on)."""
    return start - timedelta(days=config.history_days)


def daily_snapshots(observations: Frame, *, time_zone: str = "UTC") -> pl.LazyFrame:
    """Day-end followers, engagement counter and popularity per artist, platform and day."""
    lf = as_lazy(observations)
    kind = (
        pl.when(pl.col("metric") == "followers")
        .then(pl.lit("followers"))
        .when(pl.col("metric") == engagement_metric(pl.col("platform")))
        .then(pl.lit("engagement_total"))
        .when(pl.col("metric") == "popularity")
        .then(pl.lit("popularity"))
    )
    day_end = (
        lf.with_columns(
            _kind=kind, day=pl.col("observed_at").dt.convert_time_zone(time_zone).dt.date()
        )
        .filter(pl.col("_kind").is_not_null())
        .group_by([*KEYS, "day", "_kind"])
        .agg(pl.col("value").max_by("observed_at"))
    )
    return day_end.group_by([*KEYS, "day"]).agg(
        pl.col("value").filter(pl.col("_kind") == k).first().alias(k)
        for k in ("followers", "engagement_total", "popularity")
    )


def _asof_back(
    left: pl.LazyFrame, right: pl.LazyFrame, days_back: int, tolerance_days: int, value: str
) -> pl.LazyFrame:
    """Attach ``right``'s value at the nearest day at or before day - days_back."""
    right = right.select([*KEYS, pl.col("day").alias("_r_day"), pl.col(value).alias("_r_val")])
    return (
        left.with_columns(_key=pl.col("day") - pl.duration(days=days_back))
        .sort("_key")
        .join_asof(
            right.sort("_r_day"),
            left_on="_key",
            right_on="_r_day",
            by=KEYS,
            tolerance=f"{tolerance_days}d",
            check_sortedness=False,
        )
        .drop("_key")
    )


def _with_daily_history(snaps: pl.LazyFrame, config: FeatureConfig) -> pl.LazyFrame:
    """Per-day change and growth against the previous observed day (every history day)."""
    followers = snaps.filter(pl.col("followers").is_not_null())
    counters = snaps.filter(pl.col("engagement_total").is_not_null())
    tol = config.prev_day_tolerance_days
    lf = _asof_back(snaps, followers, 1, tol - 1, "followers").rename(
        {"_r_day": "_prev_day", "_r_val": "_prev_followers"}
    )
    lf = _asof_back(lf, counters, 1, tol - 1, "engagement_total").rename(
        {"_r_day": "_prev_eng_day", "_r_val": "_prev_engagement_total"}
    )
    gap = (pl.col("day") - pl.col("_prev_day")).dt.total_days().cast(pl.Int32)
    eng_gap = (pl.col("day") - pl.col("_prev_eng_day")).dt.total_days()
    engagements = (pl.col("engagement_total") - pl.col("_prev_engagement_total")) / eng_gap
    return lf.with_columns(
        days_since_prev=gap,
        daily_change=(pl.col("followers") - pl.col("_prev_followers")) / gap,
        growth_1d=pl.when(pl.col("_prev_followers") > 0).then(
            (pl.col("followers") / pl.col("_prev_followers")).pow(1.0 / gap) - 1.0
        ),
        engagements=pl.when(engagements >= 0).then(engagements),
    ).with_columns(
        engagement_rate=pl.when(pl.col("followers") > 0).then(
            pl.col("engagements") / pl.col("followers")
        )
    )


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
    Output schema: ``DAILY_FEATURES_SCHEMA``.
    """
    end = start if end is None else end
    snaps = daily_snapshots(observations, time_zone=config.time_zone).filter(
        pl.col("day") >= observation_window(start, config), pl.col("day") <= end
    )
    # Explicit caches: the snapshots and the history feed several joins, and the branches get
    # different pushed-down filters, so the optimiser would otherwise compute them repeatedly.
    snaps = snaps.cache()
    history = _with_daily_history(snaps, config).cache()
    followers = snaps.filter(pl.col("followers").is_not_null())
    today = history.filter(pl.col("day") >= start, pl.col("day") <= end)
    for days, tol, name in (
        (7, config.growth_7d_tolerance_days, "growth_7d"),
        (28, config.growth_28d_tolerance_days, "growth_28d"),
    ):
        today = (
            _asof_back(today, followers, days, tol, "followers")
            .with_columns(
                pl.when(pl.col("_r_val") > 0)
                .then(pl.col("followers") / pl.col("_r_val") - 1.0)
                .alias(name)
            )
            .drop("_r_day", "_r_val")
        )
    baseline = robust_baseline(
        history,
        today,
        ["growth_1d", "engagement_rate"],
        window=config.baseline_days,
        min_days=config.min_baseline_days,
    )
    return (
        today.join(baseline, on=[*KEYS, "day"], how="left")
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
        .sort([*KEYS, "day"])
    )
