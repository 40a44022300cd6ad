"""Momentum score 0-100, open and versioned: what a promoter sees first for an artist.

Version 1 blends three components, each in [0, 1], per artist, platform and day:

* ``audience_component``: log10(1 + followers) mapped linearly from 2 (100 followers) to 7
  (10M), clipped. Log scale so 10k -> 100k counts as much as 100k -> 1M.
* ``growth_component``: ``1 / (1 + exp(-z / 2))`` where z is how many robust SDs the artist's
  7-day growth sits above the median of its peers (same platform, peer tier and day); 0.5 is a
  typical artist of the tier. Comparing within platform and tier is the normalisation across
  platforms: TikTok's faster churn is judged against TikTok.
* ``engagement_component``: ``rate / (rate + tier median rate)``: 0.5 at the tier median;
  null on Spotify (no engagement counter).

``momentum_score = 100 * sum(w * c) / sum(w)`` over the components present, with weights
audience 0.20, growth 0.55, engagement 0.25 (``MomentumWeights``); null without a 7-day growth.
Bounded in [0, 100] and, for fixed peers, increasing in 7-day growth. An artist's score for the
day is its best platform's (``artist_momentum``).
"""

import polars as pl

from promoteros_pipelines.domain.analytics.schema import (
    Frame,
    as_lazy,
    fmt_num,
    fmt_pct,
    platform_label,
)
from promoteros_pipelines.domain.analytics.thresholds import (
    DEFAULT_MOMENTUM_WEIGHTS,
    MomentumWeights,
    robust_z,
    tier_of,
)

MOMENTUM_VERSION = "1"
PEER_KEYS = ["day", "platform", "peer_tier"]
COMPONENTS = ("audience_component", "growth_component", "engagement_component")


def tier_peer_stats(features: Frame) -> pl.LazyFrame:
    """Median and MAD of 7-day growth and median engagement rate per day, platform and tier.

    Pass the whole population's stats to ``platform_momentum`` when scoring a subset.
    """
    lf = as_lazy(features).with_columns(peer_tier=tier_of(pl.col("followers")))
    medians = lf.group_by(PEER_KEYS).agg(
        peer_growth_median=pl.col("growth_7d").median(),
        peer_engagement_median=pl.col("engagement_rate").median(),
        peer_count=pl.col("growth_7d").count().cast(pl.Int32),
    )
    mads = (
        lf.join(medians, on=PEER_KEYS)
        .group_by(PEER_KEYS)
        .agg(peer_growth_mad=(pl.col("growth_7d") - pl.col("peer_growth_median")).abs().median())
    )
    return medians.join(mads, on=PEER_KEYS)


def _why() -> pl.Expr:
    multiple = pl.col("growth_7d") / pl.col("peer_growth_median")
    versus_peers = (
        pl.when(pl.col("peer_growth_median") > 0)
        .then(pl.concat_str(pl.lit(", "), fmt_num(multiple), pl.lit("x the ")))
        .otherwise(pl.lit(" vs a flat "))
    )
    engagement = pl.when(pl.col("engagement_rate").is_not_null()).then(
        pl.concat_str(pl.lit("; engagement "), fmt_pct(pl.col("engagement_rate"), signed=False))
    )
    return (
        pl.when(pl.col("growth_7d").is_null())
        .then(
            pl.concat_str(
                platform_label(pl.col("platform")),
                pl.lit(": not enough history (no follower count about 7 days earlier)"),
            )
        )
        .otherwise(
            pl.concat_str(
                platform_label(pl.col("platform")),
                pl.lit(" followers "),
                fmt_pct(pl.col("growth_7d")),
                pl.lit(" in 7 days"),
                versus_peers,
                pl.col("peer_tier"),
                pl.lit("-tier median"),
                engagement.fill_null(pl.lit("")),
            )
        )
    )


def platform_momentum(
    features: Frame,
    peers: Frame | None = None,
    *,
    weights: MomentumWeights = DEFAULT_MOMENTUM_WEIGHTS,
) -> pl.LazyFrame:
    """Momentum per artist, platform and day from ``daily_features`` rows.

    Columns: artist_id, platform, day, followers, growth_7d, engagement_rate, peer_tier,
    peer_growth_median, peer_engagement_median, peer_count, audience_component,
    growth_component, engagement_component, momentum_score, why, momentum_version.
    """
    lf = as_lazy(features).with_columns(peer_tier=tier_of(pl.col("followers")))
    peer_stats = tier_peer_stats(lf) if peers is None else as_lazy(peers)
    span = weights.audience_log10_ceiling - weights.audience_log10_floor
    z = robust_z(
        pl.col("growth_7d"),
        pl.col("peer_growth_median"),
        pl.col("peer_growth_mad"),
        weights.min_peer_growth_scale,
    )
    rate = pl.col("engagement_rate").clip(lower_bound=0.0)
    components = {
        "audience_component": (
            ((pl.col("followers") + 1).log10() - weights.audience_log10_floor) / span
        ).clip(0.0, 1.0),
        "growth_component": 1.0 / (1.0 + (-z / weights.growth_z_softness).exp()),
        "engagement_component": pl.when(pl.col("peer_engagement_median") > 0).then(
            rate / (rate + pl.col("peer_engagement_median"))
        ),
    }
    weight_of = {
        "audience_component": weights.audience,
        "growth_component": weights.growth,
        "engagement_component": weights.engagement,
    }
    weighted = pl.sum_horizontal(pl.col(c).fill_null(0.0) * w for c, w in weight_of.items())
    present = pl.sum_horizontal(
        pl.col(c).is_not_null().cast(pl.Float64) * w for c, w in weight_of.items()
    )
    return (
        lf.select(
            "artist_id",
            "platform",
            "day",
            "followers",
            "growth_7d",
            "engagement_rate",
            "peer_tier",
        )
        .join(peer_stats, on=PEER_KEYS, how="left")
        .with_columns(**components)
        .with_columns(
            momentum_score=pl.when(pl.col("growth_component").is_not_null()).then(
                (100.0 * weighted / present).clip(0.0, 100.0)
            ),
            why=_why(),
            momentum_version=pl.lit(MOMENTUM_VERSION),
        )
        .drop("peer_growth_mad")
    )


def artist_momentum(platform_scores: Frame) -> pl.LazyFrame:
    """One row per artist and day: the best platform's score, components, tier and why.

    Natural key: (artist_id, day). Adds ``lead_platform`` and ``platforms_scored``.
    """
    lf = as_lazy(platform_scores)
    ranked = (
        pl.all()
        .exclude("artist_id", "day")
        .sort_by("momentum_score", descending=True, nulls_last=True)
        .first()
    )
    return (
        lf.group_by(["artist_id", "day"])
        .agg(
            ranked,
            platforms_scored=pl.col("momentum_score").count().cast(pl.Int32),
        )
        .rename({"platform": "lead_platform"})
        .sort(["artist_id", "day"])
    )
