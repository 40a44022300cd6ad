"""Labels from what happened next: a burst then a new trajectory, or engagement far above the
usual rate, is viral; a level step, steady fast growth and fans growing with the audience are
not."""

import datetime as dt

import polars as pl
from analytics_frames import signal_rows

from promoteros_pipelines.domain.analytics import DAILY_FEATURES_SCHEMA
from promoteros_pipelines.domain.analytics.model.labels import viral_episode_labels

DAY0 = dt.date(2025, 3, 1)
SIGNAL_DAY = 30
AS_OF = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def history(daily_growth, engagements_per_follower=lambda day: 0.02) -> pl.DataFrame:
    """60 days of one TikTok series: followers grow by ``daily_growth(day)`` each day."""
    rows, followers = [], 10_000.0
    for day in range(60):
        followers *= 1.0 + daily_growth(day)
        rows.append(
            {
                "artist_id": 1,
                "platform": "tiktok",
                "day": DAY0 + dt.timedelta(days=day),
                "followers": followers,
                "engagements": followers * engagements_per_follower(day),
                "engagement_rate_baseline_median": 0.02,
            }
        )
    return pl.DataFrame(rows).cast({k: DAILY_FEATURES_SCHEMA[k] for k in rows[0]})


def label(daily: pl.DataFrame) -> int:
    at = dt.datetime.combine(DAY0 + dt.timedelta(days=SIGNAL_DAY), dt.time(12), dt.UTC)
    signal = signal_rows(
        {
            "artist_id": 1,
            "platform": "tiktok",
            "signal_type": "tier_relative_growth",
            "detected_at": at,
            "window_start": at - dt.timedelta(hours=24),
            "window_end": at,
        }
    )
    return viral_episode_labels(signal, daily, as_of=AS_OF)["label"].item()


def test_a_burst_then_a_faster_trajectory_is_viral():
    def growth(day):
        if day == SIGNAL_DAY:
            return 1.0  # doubled in a day
        return 0.015 if day > SIGNAL_DAY else 0.002

    assert label(history(growth)) == 1


def test_a_level_step_then_the_old_trend_is_not():
    assert label(history(lambda day: 0.30 if day == SIGNAL_DAY else 0.002)) == 0


def test_steady_fast_growth_from_the_signal_on_is_a_trajectory_without_a_burst():
    assert label(history(lambda day: 0.08 if day >= SIGNAL_DAY - 1 else 0.002)) == 0


def test_fans_growing_with_a_fast_audience_at_the_usual_rate_are_not_a_surge():
    # 12% a day for the 15 days: followers (and so likes) 5x, the rate per follower unchanged
    assert label(history(lambda day: 0.12 if day >= SIGNAL_DAY - 1 else 0.002)) == 0


def test_engagement_far_above_the_usual_rate_is_viral():
    def rate(day):
        return 0.12 if SIGNAL_DAY - 1 <= day <= SIGNAL_DAY + 6 else 0.02

    assert label(history(lambda day: 0.002, rate)) == 1
