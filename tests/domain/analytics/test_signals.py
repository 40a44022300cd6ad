"""Viral signal rules on raw observations; thresholds are strict and floors apply."""

from datetime import timedelta

import polars as pl
import pytest
from analytics_frames import DAY0, T0, baselines, observations

from promoteros_pipelines.domain.analytics import (
    SIGNAL_SCHEMA,
    ViralThresholds,
    detect_viral_signals,
)

NOW = T0 + timedelta(days=1)
NO_BASELINES = baselines([])


def spike(before: float, after: float, artist_id: int = 1, platform: str = "tiktok", hours=24):
    return [
        (artist_id, platform, "followers", NOW - timedelta(hours=hours), before),
        (artist_id, platform, "followers", NOW, after),
    ]


def detect(rows, base=NO_BASELINES, **kwargs) -> pl.DataFrame:
    result = detect_viral_signals(observations(rows), base, as_of=NOW, **kwargs)
    assert isinstance(result, pl.LazyFrame)
    frame = result.collect()
    assert frame.schema == SIGNAL_SCHEMA
    return frame


def of_type(frame: pl.DataFrame, signal_type: str) -> pl.DataFrame:
    return frame.filter(signal_type=signal_type)


def test_exactly_fifty_percent_is_not_a_spike_but_fifty_point_one_is():
    assert of_type(detect(spike(1_000, 1_500)), "follower_spike").is_empty()
    row = of_type(detect(spike(1_000, 1_501)), "follower_spike").to_dicts()[0]
    assert row["growth"] == pytest.approx(0.501)
    assert row["strength"] == pytest.approx(1.002)
    assert (row["window_start"], row["detected_at"]) == (NOW - timedelta(hours=24), NOW)
    assert row["explanation"] == (
        "TikTok followers +50.1% in 24h (1000 -> 1501), above the 50% spike threshold"
    )


def test_audience_floor_applies_to_followers_before_the_spike():
    assert of_type(detect(spike(100, 160)), "follower_spike").is_empty()
    assert of_type(detect(spike(999, 1_600)), "follower_spike").is_empty()
    assert of_type(detect(spike(1_000, 1_600)), "follower_spike").height == 1
    lower_floor = ViralThresholds(audience_floor=50)
    assert of_type(detect(spike(100, 160), thresholds=lower_floor), "follower_spike").height == 1


def test_growth_is_rescaled_to_24h_and_stale_comparisons_are_ignored():
    # 1000 -> 1600 over 30h is 1.6 ** (24/30) - 1 = 45.7% per 24h: no spike
    assert of_type(detect(spike(1_000, 1_600, hours=30)), "follower_spike").is_empty()
    # 1000 -> 1700 over 30h is 52.9% per 24h: a spike
    assert of_type(detect(spike(1_000, 1_700, hours=30)), "follower_spike").height == 1
    # nothing between 24h and 36h back: no comparison at all
    assert detect(spike(1_000, 5_000, hours=40)).is_empty()


def test_only_observations_inside_the_lookback_are_evaluated():
    rows = spike(1_000, 2_000)
    frame = detect_viral_signals(
        observations(rows), NO_BASELINES, as_of=NOW + timedelta(hours=49)
    ).collect()
    assert frame.is_empty()


def engagement(before_total: float, after_total: float, followers: float = 10_000.0):
    return [
        (1, "youtube", "views", NOW - timedelta(hours=24), before_total),
        (1, "youtube", "views", NOW, after_total),
        (1, "youtube", "followers", NOW - timedelta(hours=1), followers),
    ]


def test_engagement_surge_is_strictly_above_twice_the_baseline():
    # baseline median 2% of followers a day, from the day before the 24h window began
    before = DAY0 - timedelta(days=1)
    base = baselines([{"artist_id": 1, "platform": "youtube", "day": before}])
    # 400 views / 10,000 followers = 4% = exactly 200% of 2%: not a surge
    assert of_type(detect(engagement(50_000, 50_400), base), "engagement_surge").is_empty()
    row = of_type(detect(engagement(50_000, 50_500), base), "engagement_surge").to_dicts()[0]
    assert row["ratio"] == pytest.approx(2.5)
    assert row["explanation"] == (
        "YouTube engagement 5.0% of followers in 24h (views), 2.5x its 28-day baseline of 2.0%"
    )
    small = baselines([{"artist_id": 1, "platform": "youtube", "day": before, "followers": 900.0}])
    assert of_type(detect(engagement(50_000, 50_500), small), "engagement_surge").is_empty()


def test_a_noisy_counter_needs_five_robust_sds_not_three():
    before = DAY0 - timedelta(days=1)

    def base(mad: float):
        row = {"artist_id": 1, "platform": "youtube", "day": before}
        return baselines([{**row, "engagement_rate_baseline_mad": mad}])

    # 2.5x the 2% median: 5.1 robust SDs with a MAD of 0.4 points, 4.0 with 0.5 points
    assert of_type(detect(engagement(50_000, 50_500), base(0.004)), "engagement_surge").height
    assert of_type(detect(engagement(50_000, 50_500), base(0.005)), "engagement_surge").is_empty()


def early_engagement(last_6h: float, base=None):
    """Views: 150 over the 18h before the last 6h (the usual 2% a day of 10,000 followers),
    then ``last_6h`` more."""
    return [
        (1, "youtube", "views", NOW - timedelta(hours=24), 50_000),
        (1, "youtube", "views", NOW - timedelta(hours=6), 50_150),
        (1, "youtube", "views", NOW, 50_150 + last_6h),
        (1, "youtube", "followers", NOW - timedelta(hours=1), 10_000.0),
    ]


def test_a_surge_a_few_hours_old_is_read_from_the_last_6h():
    before = DAY0 - timedelta(days=1)
    base = baselines([{"artist_id": 1, "platform": "youtube", "day": before}])
    # 220 views in 6h is 8.8% a day, 4.4x the 2% baseline; over 24h it is only 1.85x
    row = of_type(detect(early_engagement(220), base), "engagement_surge").to_dicts()[0]
    assert row["ratio"] == pytest.approx(4.4)
    assert row["strength"] == pytest.approx(4.4 / 3.5)
    assert (row["window_start"], row["window_end"]) == (NOW - timedelta(hours=6), NOW)
    assert row["explanation"] == (
        "YouTube engagement 8.8% of followers a day at the pace of the last 6h (views),"
        " 4.4x its 28-day baseline of 2.0%"
    )
    # 3x for 6h is a busy quarter-day, not a surge (the bar is 3.5x)
    assert of_type(detect(early_engagement(150), base), "engagement_surge").is_empty()
    # an artist whose engagement swings widely needs far more than 4.4x in 6h
    wide = baselines(
        [
            {
                "artist_id": 1,
                "platform": "youtube",
                "day": before,
                "engagement_rate_baseline_mad": 0.01,
            }
        ]
    )
    assert of_type(detect(early_engagement(220), wide), "engagement_surge").is_empty()


def test_the_24h_reading_is_shown_when_it_is_the_stronger():
    before = DAY0 - timedelta(days=1)
    base = baselines([{"artist_id": 1, "platform": "youtube", "day": before}])
    rows = early_engagement(730)  # 880 in 24h, of which 80 in the last 6h: it was earlier
    rows[1] = (1, "youtube", "views", NOW - timedelta(hours=6), 50_800)
    row = of_type(detect(rows, base), "engagement_surge").to_dicts()[0]
    assert row["ratio"] == pytest.approx(4.4)  # 880 in 24h
    assert row["window_start"] == NOW - timedelta(hours=24)
    assert "in 24h" in row["explanation"]


def cross_rows(second_platform_delay_hours: float):
    rows = []
    for platform, delay in (("tiktok", 0.0), ("youtube", second_platform_delay_hours)):
        at = NOW - timedelta(hours=70) + timedelta(hours=delay)
        rows += [
            (1, platform, "followers", at - timedelta(hours=24), 10_000.0),
            (1, platform, "followers", at, 11_000.0),  # +10% vs a 1% +- 0.74% baseline: z 12.1
        ]
    return rows


def test_cross_platform_needs_two_platforms_within_48h():
    base = baselines(
        [
            {"artist_id": 1, "platform": p, "day": DAY0 - timedelta(days=5)}
            for p in ("tiktok", "youtube")
        ]
    )
    kwargs = {"lookback": timedelta(hours=96)}
    row = of_type(detect(cross_rows(30), base, **kwargs), "cross_platform").to_dicts()
    assert len(row) == 1
    assert row[0]["platform"] == "cross"
    assert row[0]["platforms"] == "tiktok, youtube"
    assert row[0]["robust_z"] == pytest.approx((0.10 - 0.01) / (1.4826 * 0.005))
    assert row[0]["window_start"] == NOW - timedelta(hours=94)
    assert of_type(detect(cross_rows(60), base, **kwargs), "cross_platform").is_empty()


def test_tier_relative_growth_against_same_tier_peers():
    rows = []
    for artist_id in range(1, 26):
        after = 13_000.0 if artist_id == 1 else 10_000.0 * (1 + 0.01 * (artist_id % 3))
        rows += spike(10_000.0, after, artist_id=artist_id, platform="instagram")
    frame = of_type(detect(rows), "tier_relative_growth")
    assert frame["artist_id"].to_list() == [1]
    row = frame.to_dicts()[0]
    assert row["peer_tier"] == "developing"
    # peers: growth 0%, 1%, 2% in rough thirds; median 1%, MAD 1% -> z = (30% - 1%) / 1.4826%
    assert row["baseline"] == pytest.approx(0.01)
    assert row["robust_z"] == pytest.approx(0.29 / 0.014826)
    too_few = ViralThresholds(tier_min_peers=26)
    assert of_type(detect(rows, thresholds=too_few), "tier_relative_growth").is_empty()


def test_dataframe_and_lazyframe_inputs_agree():
    rows = spike(1_000, 1_800)
    eager = detect_viral_signals(observations(rows), NO_BASELINES, as_of=NOW).collect()
    lazy = detect_viral_signals(observations(rows).lazy(), NO_BASELINES.lazy(), as_of=NOW).collect()
    assert eager.equals(lazy)


def test_a_whole_history_gives_the_signals_of_the_window_alone():
    """A backfill or benchmark may pass every observation it has; the detector reads only its
    window (and filters before its glitch check, which used to run over all of it)."""
    rows = []
    for artist_id in (1, 2, 3):
        for step in range(4 * 40):  # 40 days, every 6 hours, up to NOW
            at = NOW - timedelta(hours=6 * step)
            value = 10_000.0 * artist_id * (1 - 0.001 * step)
            if artist_id == 2 and step < 4:  # a spike in the last day
                value *= 1.8
            if artist_id == 3 and step == 6:  # a one-sample glitch inside the window
                value *= 0.01
            rows.append((artist_id, "tiktok", "followers", at, value))
    whole = observations(rows)
    window = whole.filter(pl.col("observed_at") > NOW - timedelta(hours=48 + 36))

    from_whole, from_window = detect(whole.rows()), detect(window.rows())

    assert from_whole.equals(from_window)
    assert set(of_type(from_whole, "follower_spike")["artist_id"]) == {2}
