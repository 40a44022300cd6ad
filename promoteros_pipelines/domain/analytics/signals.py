"""Viral signals: the four rules of the viral detector, each row with its evidence and a sentence.

Rules (numbers in ``ViralThresholds``; "before" means the observation ~24h earlier):

* ``follower_spike``: 24h follower growth strictly above 50% and at least 1,000 followers before.
  ``ratio`` is the engagement response: the platform's engagements (likes, views...) over the
  same 24h against its usual day's (well above 1 when fans came with their likes, about 1 for
  followers without fans, e.g. bots; null where the platform reports no counter or has no
  baseline yet). ``episodes`` reads it.
* ``engagement_surge``: 24h engagement rate strictly above 200% of the 28-day baseline median
  and more than 5 robust SDs above it (a weekly peak the artist always has is not a surge),
  with the audience floor applied to the baseline day's followers; or, read a sample sooner,
  the rate over the last 6h strictly above 350% of that median and 10 robust SDs (the scale
  doubled) above it.
* ``cross_platform``: the artist's 24h growth is more than 3.5 robust SDs above its own 28-day
  baseline (``growth_z``, its scale at least the count's reporting step, so a rounded count
  moving by one step is not unusual) on two or more platforms within 48h; ``platform`` is
  ``'cross'``; ``strength`` is the second platform's best z over the threshold (the
  corroboration, so one huge step beside noise elsewhere stays weak).
* ``tier_relative_growth``: 24h growth more than 6 robust SDs above same-platform, same-tier
  peers observed the same day (``peer_z``), with at least 20 peers.

``strength`` is the measured value over its threshold (1.0 = exactly at the threshold), so
signals of different types can be ranked together. Every followers/counter observation in the
window that meets a rule yields a row; natural key: (artist_id, platform, signal_type,
detected_at), so the 30-minute runs re-detecting the same observation are idempotent upserts.
"""

from datetime import datetime, timedelta

import polars as pl

from promoteros_pipelines.domain.analytics.glitches import without_glitches
from promoteros_pipelines.domain.analytics.movements import (
    engagement_movements,
    follower_movements,
    with_engagement_response,
)
from promoteros_pipelines.domain.analytics.schema import (
    Frame,
    as_lazy,
    fmt_num,
    fmt_pct,
    platform_label,
)
from promoteros_pipelines.domain.analytics.thresholds import (
    DEFAULT_VIRAL_THRESHOLDS,
    ViralThresholds,
)

SIGNAL_TYPES = ("follower_spike", "engagement_surge", "cross_platform", "tier_relative_growth")
SEED_SIGNAL_TYPES = ("follower_spike", "engagement_surge", "cross_platform")
"""The seed catalogue's definitions of viral; tier-relative growth alone is only a hint."""
TS = pl.Datetime("us", "UTC")
SIGNAL_SCHEMA = pl.Schema(
    {
        "artist_id": pl.Int64(),
        "platform": pl.Utf8(),
        "signal_type": pl.Utf8(),
        "detected_at": TS,
        "window_start": TS,
        "window_end": TS,
        "strength": pl.Float64(),
        "explanation": pl.Utf8(),
        "metric": pl.Utf8(),
        "value_before": pl.Float64(),
        "value_after": pl.Float64(),
        "growth": pl.Float64(),
        "baseline": pl.Float64(),
        "ratio": pl.Float64(),
        "robust_z": pl.Float64(),
        "peer_tier": pl.Utf8(),
        "platforms": pl.Utf8(),
    }
)


def _conform(lf: pl.LazyFrame) -> pl.LazyFrame:
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in SIGNAL_SCHEMA.items()
        if name not in lf.collect_schema().names()
    ]
    return lf.with_columns(missing).select(
        pl.col(name).cast(dtype) for name, dtype in SIGNAL_SCHEMA.items()
    )


def _movement_window() -> list[pl.Expr]:
    return [
        pl.col("observed_at").alias("detected_at"),
        pl.col("prior_at").alias("window_start"),
        pl.col("observed_at").alias("window_end"),
        pl.lit("followers").alias("metric"),
        pl.col("value").alias("value_after"),
    ]


def follower_spikes(moves: pl.LazyFrame, thresholds: ViralThresholds) -> pl.LazyFrame:
    explanation = pl.concat_str(
        platform_label(pl.col("platform")),
        pl.lit(" followers "),
        fmt_pct(pl.col("growth")),
        pl.lit(" in 24h ("),
        fmt_num(pl.col("value_before"), 0),
        pl.lit(" -> "),
        fmt_num(pl.col("value"), 0),
        pl.lit("), above the "),
        fmt_pct(pl.lit(thresholds.spike_growth), 0, signed=False),
        pl.lit(" spike threshold"),
    )
    return _conform(
        moves.filter(
            pl.col("growth") > thresholds.spike_growth,
            pl.col("value_before") >= thresholds.audience_floor,
        ).with_columns(
            *_movement_window(),
            signal_type=pl.lit("follower_spike"),
            strength=pl.col("growth") / thresholds.spike_growth,
            explanation=explanation,
            robust_z=pl.col("growth_z"),
            ratio=pl.col("engagement_lift"),
        )
    )


def tier_relative_growth(moves: pl.LazyFrame, thresholds: ViralThresholds) -> pl.LazyFrame:
    explanation = pl.concat_str(
        platform_label(pl.col("platform")),
        pl.lit(" followers "),
        fmt_pct(pl.col("growth")),
        pl.lit(" in 24h, "),
        fmt_num(pl.col("peer_z")),
        pl.lit(" robust SDs above "),
        pl.col("peer_tier"),
        pl.lit("-tier peers (median "),
        fmt_pct(pl.col("peer_median")),
        pl.lit(", "),
        pl.col("peer_count").cast(pl.Utf8),
        pl.lit(" observations)"),
    )
    return _conform(
        moves.filter(
            pl.col("peer_z") > thresholds.tier_z,
            pl.col("value_before") >= thresholds.audience_floor,
        ).with_columns(
            *_movement_window(),
            signal_type=pl.lit("tier_relative_growth"),
            strength=pl.col("peer_z") / thresholds.tier_z,
            explanation=explanation,
            baseline=pl.col("peer_median"),
            robust_z=pl.col("peer_z"),
        )
    )


def cross_platform_momentum(moves: pl.LazyFrame, thresholds: ViralThresholds) -> pl.LazyFrame:
    triggers = moves.filter(
        pl.col("growth_z") > thresholds.cross_platform_z,
        pl.col("value_before") >= thresholds.audience_floor,
    ).sort(["artist_id", "observed_at"])
    # strength is the second platform's z: one huge step plus noise elsewhere is not momentum
    by_z = pl.col("growth_z").rank("ordinal", descending=True)
    best_per_platform = (
        pl.col("growth_z")
        .sort_by(by_z)
        .filter(pl.col("platform").sort_by(by_z).is_first_distinct())
    )
    windows = (
        triggers.rolling(
            "observed_at", period=thresholds.cross_platform_window, group_by="artist_id"
        )
        .agg(
            n_platforms=pl.col("platform").n_unique(),
            platforms=pl.col("platform").unique().sort().str.join(", "),
            window_start=pl.col("prior_at").min(),
            robust_z=pl.col("growth_z").max(),
            corroborating_z=best_per_platform.slice(1, 1).first(),
            growth=pl.col("growth").max(),
        )
        .filter(pl.col("n_platforms") >= thresholds.cross_platform_min_platforms)
        .unique(["artist_id", "observed_at"])
    )
    hours = int(thresholds.cross_platform_window / timedelta(hours=1))
    explanation = pl.concat_str(
        pl.lit("Followers rising abnormally on "),
        pl.col("n_platforms").cast(pl.Utf8),
        pl.lit(f" platforms within {hours}h ("),
        pl.col("platforms"),
        pl.lit("), up to "),
        fmt_num(pl.col("robust_z")),
        pl.lit(" robust SDs above the artist's own 28-day baseline"),
    )
    return _conform(
        windows.with_columns(
            platform=pl.lit("cross"),
            signal_type=pl.lit("cross_platform"),
            detected_at=pl.col("observed_at"),
            window_end=pl.col("observed_at"),
            metric=pl.lit("followers"),
            strength=pl.col("corroborating_z") / thresholds.cross_platform_z,
            explanation=explanation,
        )
    )


def engagement_surges(moves: pl.LazyFrame, thresholds: ViralThresholds) -> pl.LazyFrame:
    """The 24h reading, or the early one over the last ``recent_window`` where it is the
    stronger (a surge a few hours old): whichever is shown, its own window, rate and ratio."""
    day = (pl.col("ratio") > thresholds.engagement_surge_ratio) & (
        pl.col("engagement_z") > thresholds.engagement_surge_z
    )
    early = (pl.col("recent_ratio") > thresholds.recent_surge_ratio) & (
        pl.col("recent_z") > thresholds.recent_surge_z
    )
    day_strength = pl.when(day).then(pl.col("ratio") / thresholds.engagement_surge_ratio)
    early_strength = pl.when(early).then(pl.col("recent_ratio") / thresholds.recent_surge_ratio)
    use_early = early_strength > day_strength.fill_null(0.0)
    hours = (pl.col("observed_at") - pl.col("recent_at")).dt.total_hours()
    explanation = pl.concat_str(
        platform_label(pl.col("platform")),
        pl.lit(" engagement "),
        fmt_pct(pl.col("growth"), signed=False),
        pl.lit(" of followers "),
        pl.when(use_early)
        .then(pl.concat_str(pl.lit("a day at the pace of the last "), hours, pl.lit("h")))
        .otherwise(pl.lit("in 24h")),
        pl.lit(" ("),
        pl.col("metric"),
        pl.lit("), "),
        fmt_num(pl.col("shown_ratio")),
        pl.lit("x its 28-day baseline of "),
        fmt_pct(pl.col("engagement_rate_baseline_median"), signed=False),
    )
    return _conform(
        moves.filter(
            day.fill_null(False) | early.fill_null(False),
            pl.col("baseline_followers") >= thresholds.audience_floor,
        )
        .with_columns(
            detected_at=pl.col("observed_at"),
            window_start=pl.when(use_early).then("recent_at").otherwise("prior_at"),
            window_end=pl.col("observed_at"),
            value_after=pl.col("value"),
            growth=pl.when(use_early).then("recent_rate").otherwise("engagement_rate"),
            shown_ratio=pl.when(use_early).then("recent_ratio").otherwise("ratio"),
            baseline=pl.col("engagement_rate_baseline_median"),
            signal_type=pl.lit("engagement_surge"),
            strength=pl.max_horizontal(day_strength, early_strength),
            robust_z=pl.when(use_early).then("recent_z").otherwise("engagement_z"),
        )
        .with_columns(explanation=explanation, ratio=pl.col("shown_ratio"))
    )


def _window(
    observations: Frame, as_of: datetime, lookback: timedelta, thresholds: ViralThresholds
) -> pl.LazyFrame:
    """The observations the rules read, ``(as_of - lookback - 36h, as_of]``, and 36h more on
    either side so that the glitch check at the edges still sees each reading's neighbours.
    Filtered before the glitch check is collected: given a whole history (a backfill, the
    benchmark), the check ran over all of it on every call, and its collect kept the filter
    from reaching the scan."""
    reach = thresholds.comparison_window + thresholds.comparison_tolerance
    since = as_of - lookback - reach
    return as_lazy(observations).filter(
        pl.col("observed_at") > since - reach, pl.col("observed_at") <= as_of + reach
    )


def detect_viral_signals(
    observations: Frame,
    baselines: Frame,
    *,
    as_of: datetime,
    lookback: timedelta = timedelta(hours=48),
    thresholds: ViralThresholds = DEFAULT_VIRAL_THRESHOLDS,
) -> pl.LazyFrame:
    """All viral signals among observations made in ``(as_of - lookback, as_of]``.

    ``observations``: raw metric_observations reaching back ``lookback + 36h`` (more is
    filtered out). ``baselines``: ``daily_features`` rows (``daily_artist_metrics``) for the
    days before the window; without them only follower spikes and tier-relative growth fire.
    For backfill evaluation pass a long ``lookback`` and all days' baselines. One-sample
    glitches (``glitches.py``) are left out before any comparison.
    Output schema: ``SIGNAL_SCHEMA``, sorted by detected_at.
    """
    # Collected once here: three rules read the movements, and a lazy cache node is not
    # guaranteed to be shared between the branches of a concat.
    baselines = as_lazy(baselines).collect().lazy()
    observations = without_glitches(_window(observations, as_of, lookback, thresholds))
    observations = observations.collect().lazy()
    followers = (
        follower_movements(
            observations, baselines, as_of=as_of, lookback=lookback, thresholds=thresholds
        )
        .collect()
        .lazy()
    )
    counters = (
        engagement_movements(
            observations, baselines, as_of=as_of, lookback=lookback, thresholds=thresholds
        )
        .collect()
        .lazy()
    )
    moves = with_engagement_response(followers, counters, thresholds).collect().lazy()
    engagement = counters
    return pl.concat(
        [
            follower_spikes(moves, thresholds),
            engagement_surges(engagement, thresholds),
            cross_platform_momentum(moves, thresholds),
            tier_relative_growth(moves, thresholds),
        ]
    ).sort(["detected_at", "artist_id", "platform", "signal_type"])
