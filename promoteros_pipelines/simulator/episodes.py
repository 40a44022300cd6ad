"""Viral episodes: the growth a promoter wants to hear about, with its ground truth.

Kinds (``World.episodes.kind``):

* ``follower_burst``: one platform's followers gain ``size`` x (0.6-3.0) within a day, 60 %
  kept for good (the rest fades over a month): a burst of growth rate, then a new trajectory.
* ``engagement_surge``: the likes counter of one platform the artist is on (any of the four;
  on YouTube views too) gains ``size`` x (2-6), most of it on the first day, and keeps it.
* ``cross_platform``: followers gain ``size`` x (0.5-2.0) on every platform the artist is on,
  TikTok first, then Instagram, YouTube and Spotify 12 hours apart.
"""

import datetime as dt

import numpy as np
import polars as pl

PLATFORMS = ("spotify", "youtube", "tiktok", "instagram")
EPISODE_KINDS = ("follower_burst", "engagement_surge", "cross_platform")
# Half-days after a cross-platform episode starts, per platform (TikTok first, Spotify last).
_CASCADE_ORDER = np.array([3, 2, 0, 1])
_DAY = 86_400.0


def draw_episodes(
    rng: np.random.Generator,
    extra: np.random.Generator,
    present_mask: np.ndarray,
    start: dt.datetime,
    present: dt.datetime,
    horizon_days: int,
    rate: float,
) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """Ground-truth episodes plus their flat (episode, platform) expansion for the metrics."""
    n = present_mask.shape[0]
    who = rng.choice(n, size=min(max(3, round(rate * n)), n), replace=False)
    count = len(who)
    kind = rng.choice(3, size=count, p=[0.4, 0.3, 0.3])
    mask = present_mask[who]
    near = rng.random(count) < 0.2
    present_day = (present - start).total_seconds() / _DAY
    day = np.where(
        near,
        rng.uniform(present_day - 4, present_day + 14, count),
        rng.uniform(14, horizon_days, count),
    )
    size = np.select(
        [kind == 0, kind == 1],
        [rng.uniform(0.6, 3.0, count), rng.uniform(2.0, 6.0, count)],
        rng.uniform(0.5, 2.0, count),
    )
    spike_pick = np.argmax(mask * rng.random((count, 4)), axis=1)
    surge_pick = np.argmax(mask * extra.random((count, 4)), axis=1)  # likes, any platform
    one_hot = np.zeros((count, 4), dtype=bool)
    one_hot[np.arange(count), np.where(kind == 0, spike_pick, surge_pick)] = True
    hit = np.where((kind == 2)[:, None], mask, one_hot)

    rows, cols = np.nonzero(hit)
    platform_lists = (
        pl.DataFrame({"row": rows, "platform": np.asarray(PLATFORMS)[cols]})
        .group_by("row", maintain_order=True)
        .agg(platforms="platform")
    )
    starts = pl.Series(np.round(day * _DAY).astype("int64") * 1_000_000).cast(pl.Duration("us"))
    frame = (
        pl.DataFrame(
            {
                "row": np.arange(count, dtype=np.int64),
                "artist_id": (who + 1).astype(np.int64),
                "kind": pl.Series(np.asarray(EPISODE_KINDS)[kind]),
                "start": starts + start,
                "size": np.round(size, 3),
            }
        )
        .join(platform_lists.with_columns(pl.col("row").cast(pl.Int64)), on="row")
        .select("artist_id", "kind", "platforms", "start", "size")
        .sort("start", "artist_id")
    )
    cascade = kind[rows] == 2
    expansion = {
        "ep_artist": who[rows],
        "ep_platform": cols,
        "ep_start": day[rows] + np.where(cascade, _CASCADE_ORDER[cols] * 0.5, 0.0),
        "ep_size": np.round(size, 3)[rows],
        "ep_engagement": kind[rows] == 1,
    }
    return frame, expansion
