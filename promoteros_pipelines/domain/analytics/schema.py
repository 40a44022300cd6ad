"""Column names, platform vocabulary and small expression helpers shared by the analytics domain.

Every public function in this package takes a ``pl.LazyFrame`` or ``pl.DataFrame`` and returns a
``pl.LazyFrame``: the 10M-row benchmark and the assets collect once, at the end, so polars can
plan the whole query (projection pushdown, one pass over the observations).
"""

from typing import Any

import polars as pl

PLATFORMS = ("spotify", "youtube", "tiktok", "instagram")
PLATFORM_LABELS = {
    "spotify": "Spotify",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "instagram": "Instagram",
}

ENGAGEMENT_METRICS: dict[str, tuple[str, ...]] = {
    "spotify": ("likes", "saves"),
    "youtube": ("likes", "views", "comments"),
    "tiktok": ("likes", "views", "shares", "comments"),
    "instagram": ("likes", "comments"),
}
"""The canonical engagement counter per platform, in order of preference: for each artist and
platform the detector reads the first of these that arrives (cumulative totals, as the APIs and
scrapers report them). Likes first everywhere: they move with a surge on every platform, while
YouTube views also count passive plays. A series with no likes falls back to the next counter
(the official YouTube API reports views, not likes). Metrics outside this table, followers and
Spotify popularity are counted as unusable in the run's metadata (``unusable_metrics``)."""

ENGAGEMENT_METRIC = {"youtube": "views", "tiktok": "likes", "instagram": "likes"}
"""The counters the simulator's collectors report (what its evaluation samples)."""

KEYS = ["artist_id", "platform"]

OBSERVATION_SCHEMA = pl.Schema(
    {
        "artist_id": pl.Int64(),
        "platform": pl.Utf8(),
        "metric": pl.Utf8(),
        "observed_at": pl.Datetime("us", "UTC"),
        "value": pl.Float64(),
    }
)

Frame = pl.LazyFrame | pl.DataFrame


def as_lazy(frame: Frame) -> pl.LazyFrame:
    """Accept either frame kind so tests can pass a typed-out DataFrame."""
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def platform_label(platform: pl.Expr) -> pl.Expr:
    return platform.replace_strict(PLATFORM_LABELS, default=platform, return_dtype=pl.Utf8)


def engagement_rank(platform: pl.Expr, metric: pl.Expr) -> pl.Expr:
    """Preference of ``metric`` as ``platform``'s engagement counter (0 best; null: not one)."""
    expr: Any = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.Int8))
    for name, metrics in ENGAGEMENT_METRICS.items():
        for rank, candidate in enumerate(metrics):
            expr = expr.when((platform == name) & (metric == candidate)).then(pl.lit(rank))
    return expr.otherwise(pl.lit(None, dtype=pl.Int8)).cast(pl.Int8)


def is_engagement_counter() -> pl.Expr:
    """True on the rows of each artist-platform's preferred engagement counter (among the rows
    of the frame it runs on), so a series with likes ignores its views."""
    rank = engagement_rank(pl.col("platform"), pl.col("metric"))
    return (rank == rank.min().over("artist_id", "platform")).fill_null(False)


def unusable_metrics(observations: Frame) -> pl.LazyFrame:
    """Rows per platform and metric that the detector cannot use (platform, metric, rows)."""
    rank = engagement_rank(pl.col("platform"), pl.col("metric"))
    usable = (
        (pl.col("metric") == "followers")
        | ((pl.col("platform") == "spotify") & (pl.col("metric") == "popularity"))
        | rank.is_not_null()
    )
    return (
        as_lazy(observations)
        .filter(~usable)
        .group_by("platform", "metric")
        .agg(rows=pl.len())
        .sort("platform", "metric")
    )


def fmt_pct(fraction: pl.Expr, decimals: int = 1, signed: bool = True) -> pl.Expr:
    """0.62 -> '+62.0%' (for the plain-English explanations)."""
    number = fmt_num(fraction * 100, decimals)
    sign = pl.when(fraction >= 0).then(pl.lit("+")).otherwise(pl.lit("")) if signed else pl.lit("")
    return pl.concat_str([sign, number, pl.lit("%")])


def fmt_num(value: pl.Expr, decimals: int = 1) -> pl.Expr:
    if decimals == 0:
        return value.round(0).cast(pl.Int64).cast(pl.Utf8)
    return value.round(decimals).cast(pl.Utf8)
