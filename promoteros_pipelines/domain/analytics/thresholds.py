"""Tunable numbers of the analytics domain, in one place and frozen, so a run can log them.

Peer tiers (followers on one platform, lower bound inclusive):

* ``emerging``: fewer than 10,000
* ``developing``: 10,000 to 99,999
* ``mid-level``: 100,000 to 999,999
* ``mainstream``: 1,000,000 and more
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import polars as pl

TIER_BOUNDS: tuple[tuple[str, float], ...] = (
    ("emerging", 0.0),
    ("developing", 10_000.0),
    ("mid-level", 100_000.0),
    ("mainstream", 1_000_000.0),
)
TIERS = tuple(name for name, _ in TIER_BOUNDS)

MAD_SCALE = 1.4826
"""Makes a MAD comparable with a standard deviation for normally distributed data."""


def tier_of(followers: pl.Expr) -> pl.Expr:
    """Peer tier from a follower count (null followers -> null tier)."""
    expr: Any = pl.when(followers.is_null()).then(pl.lit(None, dtype=pl.Utf8))
    for name, lower in reversed(TIER_BOUNDS[1:]):
        expr = expr.when(followers >= lower).then(pl.lit(name))
    return expr.otherwise(pl.lit(TIER_BOUNDS[0][0]))


def robust_z(value: pl.Expr, median: pl.Expr, mad: pl.Expr, min_scale: float) -> pl.Expr:
    """(value - median) / (1.4826 * MAD), with the scale floored so a flat history gives no inf."""
    scale = pl.max_horizontal(mad * MAD_SCALE, pl.lit(min_scale))
    return (value - median) / scale


@dataclass(frozen=True)
class FeatureConfig:
    """How daily features treat gaps and flat histories."""

    baseline_days: int = 28
    min_baseline_days: int = 7
    prev_day_tolerance_days: int = 3
    growth_7d_tolerance_days: int = 2
    growth_28d_tolerance_days: int = 4
    min_growth_scale: float = 0.002
    """Floor for the robust scale of daily growth: 0.2 percentage points a day."""
    time_zone: str = "UTC"

    @property
    def history_days(self) -> int:
        """Days of observations needed before the first output day."""
        return max(
            self.baseline_days + self.prev_day_tolerance_days + 1,
            28 + self.growth_28d_tolerance_days,
        )


@dataclass(frozen=True)
class ViralThresholds:
    """When a movement in the raw observations becomes a viral signal."""

    spike_growth: float = 0.50
    """Follower spike: growth over 24h strictly greater than this fraction."""
    audience_floor: float = 1_000.0
    """Followers before the movement below which nothing is news (100 -> 160 is not)."""
    comparison_window: timedelta = timedelta(hours=24)
    comparison_tolerance: timedelta = timedelta(hours=12)
    """How much older than 24h the comparison observation may be."""
    engagement_surge_ratio: float = 2.0
    """Engagement surge: 24h engagement rate strictly above 200% of the 28-day baseline."""
    engagement_surge_z: float = 5.0
    """...and that far above the baseline in robust SDs: an artist whose engagement doubles
    every weekend has a wide baseline, and its weekly peak is its rhythm, not a surge. Five,
    not three: each series is read four times a day, some 300 windows in 75 days, and a noisy
    counter (each 6-hourly count +-45%) crosses 3 SDs somewhere in most of them."""
    min_engagement_scale: float = 0.1
    """Floor for the robust scale of the engagement rate, as a share of its median (a flat
    history makes a 2x rate 10 SDs, not infinitely many)."""
    recent_window: timedelta = timedelta(hours=6)
    """Engagement surge, early reading: the counter's increase since the reading at least this
    long before (at most ``recent_window`` more), as a rate per day. A surge that began 3h ago
    is a third of the last 6h but an eighth of the last 24h, so this finds it a sample sooner."""
    recent_surge_ratio: float = 3.5
    """...strictly above this many times the 28-day baseline median (a quarter-day of counts is
    noisier than a day's, so the bar is higher than the 24h one)..."""
    recent_surge_z: float = 10.0
    """...and this many robust SDs above it, the daily scale doubled (a quarter of a day has
    about twice the relative spread of a whole day's counts)."""
    cross_platform_z: float = 3.5
    cross_platform_min_platforms: int = 2
    cross_platform_window: timedelta = timedelta(hours=48)
    tier_z: float = 6.0
    tier_min_peers: int = 20
    min_growth_scale: float = 0.002
    min_peer_growth_scale: float = 0.005
    baseline_tolerance_days: int = 3
    """How stale the daily baseline row may be (days)."""


@dataclass(frozen=True)
class MomentumWeights:
    """Blend of the momentum score; weights of missing components are redistributed."""

    audience: float = 0.20
    growth: float = 0.55
    engagement: float = 0.25
    audience_log10_floor: float = 2.0
    audience_log10_ceiling: float = 7.0
    growth_z_softness: float = 2.0
    min_peer_growth_scale: float = 0.01


@dataclass(frozen=True)
class EpisodeRules:
    """How signals become one event per artist episode."""

    gap: timedelta = timedelta(hours=72)
    """An episode closes after this long without a signal."""
    confirm_min_evidence: int = 2
    """Distinct seed-definition (signal_type, platform) pairs that confirm an episode by rules
    alone (tier-relative growth does not count)."""
    confirm_strength: float = 1.5
    """A single seed-definition signal this many times its threshold also confirms (a follower
    spike only where its platform reports no engagement counter: see ``spike_min_response``)."""
    spike_min_response: float = 2.0
    """A follower spike confirms on its own when the platform's engagements over the same 24h
    were at least this many times its usual day's (``ratio``): new fans like, view, comment.
    With less (followers without fans: bots bought, then purged) it needs a second piece of
    evidence, however large the jump."""
    confirm_probability: float = 0.5
    """Model probability that confirms, when signals carry a ``probability`` column."""


DEFAULT_FEATURE_CONFIG = FeatureConfig()
DEFAULT_VIRAL_THRESHOLDS = ViralThresholds()
DEFAULT_MOMENTUM_WEIGHTS = MomentumWeights()
DEFAULT_EPISODE_RULES = EpisodeRules()
