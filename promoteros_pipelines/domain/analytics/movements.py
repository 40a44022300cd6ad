"""Movements over the last ~24h read straight from raw observations, for the 30-minute detector.

Each followers (or engagement counter) observation in ``(as_of - lookback, as_of]`` is compared
with the same series' nearest observation at or before 24h earlier, at most
``comparison_tolerance`` older. Growth is rescaled geometrically to exactly 24h
(``(after / before) ** (24h / elapsed) - 1``), so an observation 30h back does not inflate it;
with an exact 24h spacing the rescaling is the identity and 1000 -> 1500 is exactly 50%.

Baselines come from ``daily_features`` rows (the ``daily_artist_metrics`` table): for a movement
observed at ``t`` we use the latest row on or before the day before ``t - 24h``, so the baseline
and the audience floor are measured before the movement began.
"""

from datetime import datetime, timedelta

import polars as pl

from promoteros_pipelines.domain.analytics.schema import (
    KEYS,
    Frame,
    as_lazy,
    is_engagement_counter,
)
from promoteros_pipelines.domain.analytics.thresholds import (
    DEFAULT_VIRAL_THRESHOLDS,
    MAD_SCALE,
    ViralThresholds,
    robust_z,
    tier_of,
)

BASELINE_COLUMNS = [
    "followers",
    "growth_1d_baseline_median",
    "growth_1d_baseline_mad",
    "engagement_rate_baseline_median",
    "engagement_rate_baseline_mad",
]


def _series(
    observations: pl.LazyFrame, metric: pl.Expr, since: datetime, as_of: datetime
) -> pl.LazyFrame:
    return (
        observations.filter(pl.col("observed_at") > since, pl.col("observed_at") <= as_of)
        .filter(metric)
        .select(
            "artist_id", pl.col("platform").cast(pl.Categorical), "metric", "observed_at", "value"
        )
        .sort("observed_at")
        .cache()  # read twice (evaluations and their 24h-earlier comparisons)
    )


def _reading_before(
    lf: pl.LazyFrame,
    series: pl.LazyFrame,
    back: timedelta,
    tolerance: timedelta,
    at: str,
    value: str,
) -> pl.LazyFrame:
    """``lf`` with the same series' latest reading at least ``back`` before each observation
    (at most ``tolerance`` more) as ``at`` and ``value`` (null where there is none)."""
    readings = series.select([*KEYS, pl.col("observed_at").alias(at), pl.col("value").alias(value)])
    return (
        lf.with_columns(_key=pl.col("observed_at") - back)
        .sort("_key")
        .join_asof(
            readings,
            left_on="_key",
            right_on=at,
            by=KEYS,
            tolerance=tolerance,
            check_sortedness=False,
        )
        .drop("_key")
    )


def _compare_with_24h_before(
    series: pl.LazyFrame, evaluate_after: datetime, thresholds: ViralThresholds
) -> pl.LazyFrame:
    window_us = thresholds.comparison_window / timedelta(microseconds=1)
    elapsed_us = (pl.col("observed_at") - pl.col("prior_at")).dt.total_microseconds()
    return (
        _reading_before(
            series.filter(pl.col("observed_at") > evaluate_after),
            series,
            thresholds.comparison_window,
            thresholds.comparison_tolerance,
            "prior_at",
            "value_before",
        )
        .filter(pl.col("prior_at").is_not_null())
        .with_columns(_scale=pl.lit(window_us) / elapsed_us.cast(pl.Float64))
    )


def _with_baseline(
    lf: pl.LazyFrame, baselines: pl.LazyFrame, thresholds: ViralThresholds
) -> pl.LazyFrame:
    rows = baselines.select(
        ["artist_id", pl.col("platform").cast(pl.Categorical), pl.col("day").alias("baseline_day")]
        + [pl.col(c).alias(f"baseline_{c}" if c == "followers" else c) for c in BASELINE_COLUMNS]
    ).sort("baseline_day")
    key = (pl.col("observed_at") - thresholds.comparison_window).dt.date() - pl.duration(days=1)
    return (
        lf.with_columns(_bl_key=key)
        .sort("_bl_key")
        .join_asof(
            rows,
            left_on="_bl_key",
            right_on="baseline_day",
            by=KEYS,
            tolerance=f"{thresholds.baseline_tolerance_days}d",
            check_sortedness=False,
        )
        .drop("_bl_key")
    )


def reporting_step(max_digits: int = 6, readings: int = 4) -> pl.Expr:
    """The unit a series' counts are reported in, at each reading (rows sorted by time).

    YouTube shows subscribers to three significant figures, so every reading is a multiple of
    1,000 and a 24h change finer than that cannot be seen: 142,000 -> 145,000 is one rounding
    step over the usual +2,000 a day, not 6 robust SDs above it. The step is the largest power
    of ten that this reading and the ``readings - 1`` before it are all multiples of (two round
    numbers prove nothing; the unit changes as a count grows); 1 for exact counts.
    """
    zeros = pl.sum_horizontal([(pl.col("value") % 10**k) == 0 for k in range(1, max_digits + 1)])
    fewest = zeros.cast(pl.Float64).rolling_min(window_size=readings).over(KEYS)
    return pl.lit(10.0).pow(fewest.fill_null(0.0))


def follower_movements(
    observations: Frame,
    baselines: Frame,
    *,
    as_of: datetime,
    lookback: timedelta = timedelta(hours=48),
    thresholds: ViralThresholds = DEFAULT_VIRAL_THRESHOLDS,
) -> pl.LazyFrame:
    """24h follower growth at every followers observation in the window, with its context.

    Columns: artist_id, platform, observed_at, value, prior_at, value_before, growth (24h),
    peer_tier (of value_before), baseline_followers, growth_1d_baseline_median, growth_z (vs the
    artist's own 28-day baseline; its scale is at least the counts' reporting step),
    peer_median, peer_count, peer_z (vs same platform, tier and UTC day of observation; null
    with fewer than ``tier_min_peers`` observations).
    """
    obs = as_lazy(observations)
    since = as_of - lookback - thresholds.comparison_window - thresholds.comparison_tolerance
    series = _series(obs, pl.col("metric") == "followers", since, as_of).with_columns(
        reporting_step=reporting_step()
    )
    moves = _compare_with_24h_before(series, as_of - lookback, thresholds)
    moves = _with_baseline(moves, as_lazy(baselines), thresholds)
    peers = ["platform", "peer_tier", "_day"]
    deviation = (pl.col("growth") - pl.col("peer_median")).abs()
    return (
        moves.with_columns(
            growth=pl.when(pl.col("value_before") > 0).then(
                (pl.col("value") / pl.col("value_before")).pow(pl.col("_scale")) - 1.0
            ),
            peer_tier=tier_of(pl.col("value_before")),
            _day=pl.col("observed_at").dt.date(),
        )
        .with_columns(
            growth_z=(pl.col("growth") - pl.col("growth_1d_baseline_median"))
            / pl.max_horizontal(
                pl.col("growth_1d_baseline_mad") * MAD_SCALE,
                pl.lit(thresholds.min_growth_scale),
                pl.col("reporting_step") / pl.col("value_before"),
            ),
            peer_median=pl.col("growth").median().over(peers),
            peer_count=pl.col("growth").count().over(peers).cast(pl.Int32),
        )
        .with_columns(peer_mad=deviation.median().over(peers))
        .with_columns(
            peer_z=pl.when(pl.col("peer_count") >= thresholds.tier_min_peers).then(
                robust_z(
                    pl.col("growth"),
                    pl.col("peer_median"),
                    pl.col("peer_mad"),
                    thresholds.min_peer_growth_scale,
                )
            )
        )
        .drop(
            "_day",
            "_scale",
            "reporting_step",
            "peer_mad",
            "baseline_day",
            "growth_1d_baseline_mad",
            "engagement_rate_baseline_mad",
        )
    )


def engagement_movements(
    observations: Frame,
    baselines: Frame,
    *,
    as_of: datetime,
    lookback: timedelta = timedelta(hours=48),
    thresholds: ViralThresholds = DEFAULT_VIRAL_THRESHOLDS,
) -> pl.LazyFrame:
    """24h engagement rate at every engagement-counter observation in the window.

    Columns: artist_id, platform, metric, observed_at, value, prior_at, value_before,
    engagements (counter increase rescaled to 24h; null if it fell, or if the reading 24h
    before was 0: a cumulative counter reading 0 was reset or misread, as follower growth from
    0 is null), followers (latest at or
    before the observation, at most 24h old), engagement_rate (per the larger of followers and
    baseline_followers), engagement_lift (engagements over the usual day's: the baseline rate
    times the baseline day's followers), baseline_followers,
    engagement_rate_baseline_median, ratio (rate / baseline median; null if the median is 0),
    engagement_z (robust z of the rate against its 28-day median and MAD); and the early reading
    over the last ``recent_window``: recent_at, value_recent, recent_engagements (per day),
    recent_rate, recent_ratio and recent_z (its scale twice the daily one).
    """
    obs = as_lazy(observations)
    since = as_of - lookback - thresholds.comparison_window - thresholds.comparison_tolerance
    series = _series(obs, is_engagement_counter(), since, as_of)
    moves = _compare_with_24h_before(series, as_of - lookback, thresholds)
    followers = _series(obs, pl.col("metric") == "followers", since, as_of).select(
        [*KEYS, pl.col("observed_at").alias("_f_at"), pl.col("value").alias("followers")]
    )
    # the early reading: the latest at least recent_window before (at most twice that)
    moves = _reading_before(
        moves,
        series,
        thresholds.recent_window,
        thresholds.recent_window,
        "recent_at",
        "value_recent",
    )
    increase = (pl.col("value") - pl.col("value_before")) * pl.col("_scale")
    day_us = timedelta(hours=24) / timedelta(microseconds=1)
    recent_elapsed_us = (pl.col("observed_at") - pl.col("recent_at")).dt.total_microseconds()
    recent_increase = (pl.col("value") - pl.col("value_recent")) * (
        pl.lit(day_us) / recent_elapsed_us.cast(pl.Float64)
    )
    moves = moves.join_asof(
        followers,
        left_on="observed_at",
        right_on="_f_at",
        by=KEYS,
        tolerance=thresholds.comparison_window,
        check_sortedness=False,
    ).with_columns(
        engagements=pl.when((increase >= 0) & (pl.col("value_before") > 0)).then(increase),
        recent_engagements=pl.when((recent_increase >= 0) & (pl.col("value_recent") > 0)).then(
            recent_increase
        ),
    )
    # a follower count that dips (a glitch not yet recognised) must not inflate the rate
    audience = pl.max_horizontal("followers", "baseline_followers")
    median = pl.col("engagement_rate_baseline_median")
    usual_day = median * pl.col("baseline_followers")
    scale = pl.max_horizontal(
        pl.col("engagement_rate_baseline_mad") * MAD_SCALE,
        median * thresholds.min_engagement_scale,
    )
    return (
        _with_baseline(moves, as_lazy(baselines), thresholds)
        .with_columns(
            engagement_rate=pl.when(audience > 0).then(pl.col("engagements") / audience),
            recent_rate=pl.when(audience > 0).then(pl.col("recent_engagements") / audience),
        )
        .with_columns(
            ratio=pl.when(median > 0).then(pl.col("engagement_rate") / median),
            recent_ratio=pl.when(median > 0).then(pl.col("recent_rate") / median),
            engagement_lift=pl.when(usual_day > 0).then(pl.col("engagements") / usual_day),
            engagement_z=(pl.col("engagement_rate") - median) / scale,
            recent_z=(pl.col("recent_rate") - median) / (2.0 * scale),
        )
        .drop(
            "_f_at",
            "_scale",
            "baseline_day",
            "growth_1d_baseline_median",
            "growth_1d_baseline_mad",
        )
    )


def _latest_before(
    lf: pl.LazyFrame, other: pl.LazyFrame, column: str, alias: str, thresholds: ViralThresholds
) -> pl.LazyFrame:
    """``lf`` with ``other``'s ``column`` from the same series' latest row at or before each
    observation (at most ``comparison_tolerance`` older), as ``alias``."""
    right = (
        other.select(
            "artist_id",
            pl.col("platform").cast(pl.Utf8),
            pl.col("observed_at").alias("_other_at"),
            pl.col(column).alias(alias),
        )
        .drop_nulls(alias)
        .sort("_other_at")
    )
    return (
        lf.with_columns(pl.col("platform").cast(pl.Utf8))
        .sort("observed_at")
        .join_asof(
            right,
            left_on="observed_at",
            right_on="_other_at",
            by=KEYS,
            tolerance=thresholds.comparison_tolerance,
            check_sortedness=False,
        )
        .drop("_other_at")
    )


def with_engagement_response(
    follower_moves: pl.LazyFrame, engagement_moves: pl.LazyFrame, thresholds: ViralThresholds
) -> pl.LazyFrame:
    """Follower movements with ``engagement_lift``: the platform's engagements over the last
    24h against its usual day's (null where the platform reports no counter, or before a
    baseline exists). Real fans like, view and comment; followers bought do not."""
    return _latest_before(
        follower_moves, engagement_moves, "engagement_lift", "engagement_lift", thresholds
    )
