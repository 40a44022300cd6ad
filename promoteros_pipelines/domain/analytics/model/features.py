"""Model features for each viral signal: the signal, its 48h context, its history, the trend.

Everything is known at the signal's ``detected_at`` (no look-ahead): the signal itself, the
artist's other signals in the 48h before it, how often the artist signalled in the 30 days
before that (repeat weak signals are usually an artist's normal rhythm, not news), and the
artist's trajectory from ``daily_artist_metrics`` rows of days before the movement began.
"""

import datetime as dt

import polars as pl

from promoteros_pipelines.domain.analytics import SIGNAL_TYPES
from promoteros_pipelines.domain.analytics.episodes import confirms_alone, evidence_confirms
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_EPISODE_RULES, EpisodeRules

SIGNAL_KEY_COLUMNS = ["artist_id", "platform", "signal_type", "detected_at"]
KEY = SIGNAL_KEY_COLUMNS
CONTEXT = dt.timedelta(hours=48)
HISTORY = dt.timedelta(days=30)
TRAJECTORY = ["growth_7d", "growth_28d", "growth_1d_baseline_median", "growth_1d_baseline_mad"]
FEATURES = [
    "strength",
    "signal_code",
    "log_audience",
    "growth",
    "ratio",
    "robust_z",
    "context_signals",
    "context_evidence",
    "context_platforms",
    "context_max_strength",
    *[f"context_max_{kind}" for kind in SIGNAL_TYPES],
    "history_signals",
    "history_max_strength",
    "trend_growth_7d",
    "trend_growth_28d",
    "trend_growth_1d_median",
    "trend_growth_1d_mad",
    "trend_log_followers",
]


def _context(signals: pl.LazyFrame) -> pl.LazyFrame:
    """Per signal: aggregates of the artist's signals in (detected_at - 48h, detected_at]."""
    rows = signals.select(
        "artist_id",
        "detected_at",
        "strength",
        "signal_type",
        evidence=pl.concat_str("signal_type", pl.lit(":"), "platform"),
        platform_seen=pl.col("platform"),
    ).sort("detected_at")
    per_kind = [
        pl.col("strength").filter(pl.col("signal_type") == kind).max().alias(f"context_max_{kind}")
        for kind in SIGNAL_TYPES
    ]
    return (
        rows.rolling("detected_at", period=CONTEXT, group_by="artist_id")
        .agg(
            pl.len().cast(pl.Int32).alias("context_signals"),
            pl.col("evidence").n_unique().cast(pl.Int32).alias("context_evidence"),
            pl.col("platform_seen").n_unique().cast(pl.Int32).alias("context_platforms"),
            pl.col("strength").max().alias("context_max_strength"),
            *per_kind,
        )
        .unique(["artist_id", "detected_at"])
    )


def _rules_context(signals: pl.LazyFrame, rules: EpisodeRules) -> pl.LazyFrame:
    """Per signal: whether the rules alone confirm with the artist's signals in its 48h context
    (as ``episodes.group_into_episodes`` would: ``evidence_confirms`` or one signal strong
    enough on its own). Not a feature: the figure the model must beat."""
    names = signals.collect_schema().names()
    rows = signals.select(
        "artist_id",
        "detected_at",
        evidence=pl.concat_str("signal_type", pl.lit(":"), "platform"),
        alone=confirms_alone(names, rules),
    ).sort("detected_at")
    return (
        rows.rolling("detected_at", period=CONTEXT, group_by="artist_id")
        .agg(pl.col("evidence").unique(), pl.col("alone").any())
        .unique(["artist_id", "detected_at"])
        .select(
            "artist_id",
            "detected_at",
            rules_confirmed=evidence_confirms(pl.col("evidence"), rules) | pl.col("alone"),
        )
    )


def _history(signals: pl.LazyFrame) -> pl.LazyFrame:
    """Per signal: the artist's signals from 30 days to 48h before it."""
    rows = signals.select("artist_id", "detected_at", "strength").sort("detected_at")
    return (
        rows.rolling("detected_at", period=HISTORY + CONTEXT, group_by="artist_id")
        .agg(
            history_signals=pl.col("strength")
            .filter(pl.col("detected_at") <= pl.col("detected_at").last() - CONTEXT)
            .len()
            .cast(pl.Int32),
            history_max_strength=pl.col("strength")
            .filter(pl.col("detected_at") <= pl.col("detected_at").last() - CONTEXT)
            .max(),
        )
        .unique(["artist_id", "detected_at"])
    )


def _trend(daily: pl.LazyFrame) -> pl.LazyFrame:
    """Artist-level trajectory per day: the fastest platform's growth, total followers."""
    return (
        daily.group_by("artist_id", "day")
        .agg(
            trend_growth_7d=pl.col("growth_7d").max(),
            trend_growth_28d=pl.col("growth_28d").max(),
            trend_growth_1d_median=pl.col("growth_1d_baseline_median").max(),
            trend_growth_1d_mad=pl.col("growth_1d_baseline_mad").max(),
            trend_log_followers=(pl.col("followers").sum() + 1).log10(),
        )
        .sort("day")
    )


def signal_features(
    signals: pl.DataFrame, daily: pl.DataFrame, rules: EpisodeRules = DEFAULT_EPISODE_RULES
) -> pl.DataFrame:
    """``KEY`` + ``window_start`` + ``FEATURES`` + ``rules_confirmed`` per signal (one row per
    signal key; ``rules_confirmed`` is the rules' decision in the signal's 48h context).

    ``signals``: ``SIGNAL_SCHEMA`` rows including enough earlier history (30 days) for the
    history features. ``daily``: ``daily_artist_metrics`` rows for the days before them.
    """
    lf = signals.lazy().unique(KEY)
    codes = {kind: float(i) for i, kind in enumerate(SIGNAL_TYPES)}
    trend = _trend(daily.lazy())
    # trajectory as of two days before detection: the movement cannot leak into its own trend
    trend_day = (pl.col("detected_at") - CONTEXT).dt.date()
    return (
        lf.join(_context(lf), on=["artist_id", "detected_at"], how="left")
        .join(_history(lf), on=["artist_id", "detected_at"], how="left")
        .join(_rules_context(lf, rules), on=["artist_id", "detected_at"], how="left")
        .with_columns(_trend_day=trend_day)
        .sort("_trend_day")
        .join_asof(
            trend,
            left_on="_trend_day",
            right_on="day",
            by="artist_id",
            tolerance="3d",
            check_sortedness=False,
        )
        .with_columns(
            signal_code=pl.col("signal_type").replace_strict(codes, return_dtype=pl.Float64),
            log_audience=(pl.col("value_before") + 1).log10(),
        )
        .select(*KEY, "window_start", *FEATURES, "rules_confirmed")
        .with_columns(pl.col(FEATURES).cast(pl.Float64), pl.col("rules_confirmed").fill_null(False))
        .sort(KEY)
        .collect()
    )
