"""Column names, platform vocabulary and small expression helpers shared by the analytics domain.

Every public function in this package takes a ``pl.LazyFrame`` or ``pl.DataFrame`` and returns a
``pl.LazyFrame``: the 10M-row benchmark and the assets collect once, at the end, so polars can
plan the whole query (projection pushdown, one pass over the observations).
"""

import polars as pl

PLATFORMS = ("spotify", "youtube", "tiktok", "instagram")
PLATFORM_LABELS = {
    "spotify": "Spotify",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "instagram": "Instagram",
}

# The counter whose daily increase we call "engagements" on each platform. Counters are the
# cumulative totals the platform APIs report; Spotify exposes no engagement counter.
ENGAGEMENT_METRIC = {"youtube": "views", "tiktok": "likes", "instagram": "likes"}

KEYS = ["artist_id", "platform"]

OBSERVATION_SCHEMA = pl.Schema(
    {
        "artist_id": pl.Int64,
        "platform": pl.Utf8,
        "metric": pl.Utf8,
        "observed_at": pl.Datetime("us", "UTC"),
        "value": pl.Float64,
    }
)

Frame = pl.LazyFrame | pl.DataFrame


def as_lazy(frame: Frame) -> pl.LazyFrame:
    """Accept either frame kind so tests can pass a typed-out DataFrame."""
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def platform_label(platform: pl.Expr) -> pl.Expr:
    return platform.replace_strict(PLATFORM_LABELS, default=platform, return_dtype=pl.Utf8)


def engagement_metric(platform: pl.Expr) -> pl.Expr:
    return platform.replace_strict(ENGAGEMENT_METRIC, default=None, return_dtype=pl.Utf8)


def fmt_pct(fraction: pl.Expr, decimals: int = 1, signed: bool = True) -> pl.Expr:
    """0.62 -> '+62.0%' (for the plain-English explanations)."""
    number = fmt_num(fraction * 100, decimals)
    sign = pl.when(fraction >= 0).then(pl.lit("+")).otherwise(pl.lit("")) if signed else pl.lit("")
    return pl.concat_str([sign, number, pl.lit("%")])


def fmt_num(value: pl.Expr, decimals: int = 1) -> pl.Expr:
    if decimals == 0:
        return value.round(0).cast(pl.Int64).cast(pl.Utf8)
    return value.round(decimals).cast(pl.Utf8)
