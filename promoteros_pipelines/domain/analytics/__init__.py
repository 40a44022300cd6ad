"""Analytics domain: daily features, momentum, viral signals and episodes, as pure polars.

Every function takes a LazyFrame (or DataFrame) and returns a LazyFrame; nothing here does I/O.
"""

from promoteros_pipelines.domain.analytics.episodes import (
    EVENT_SCHEMA,
    empty_events,
    group_into_episodes,
)
from promoteros_pipelines.domain.analytics.features import (
    DAILY_FEATURES_SCHEMA,
    daily_features,
    daily_snapshots,
    observation_window,
)
from promoteros_pipelines.domain.analytics.momentum import (
    MOMENTUM_VERSION,
    artist_momentum,
    platform_momentum,
    tier_peer_stats,
)
from promoteros_pipelines.domain.analytics.movements import (
    engagement_movements,
    follower_movements,
)
from promoteros_pipelines.domain.analytics.signals import (
    SIGNAL_SCHEMA,
    SIGNAL_TYPES,
    detect_viral_signals,
)
from promoteros_pipelines.domain.analytics.thresholds import (
    EpisodeRules,
    FeatureConfig,
    MomentumWeights,
    ViralThresholds,
)

__all__ = [
    "DAILY_FEATURES_SCHEMA",
    "EVENT_SCHEMA",
    "MOMENTUM_VERSION",
    "SIGNAL_SCHEMA",
    "SIGNAL_TYPES",
    "EpisodeRules",
    "FeatureConfig",
    "MomentumWeights",
    "ViralThresholds",
    "artist_momentum",
    "daily_features",
    "daily_snapshots",
    "detect_viral_signals",
    "empty_events",
    "engagement_movements",
    "follower_movements",
    "group_into_episodes",
    "observation_window",
    "platform_momentum",
    "tier_peer_stats",
]
