"""Rules need evidence: weak hints never confirm alone; glitches are set aside; every platform's
engagement counter is read (likes first)."""

from datetime import timedelta

import polars as pl
from analytics_frames import DAY0, T0, baselines, observations
from test_episodes import T, run, signal, signals

from promoteros_pipelines.domain.analytics import detect_viral_signals, empty_events
from promoteros_pipelines.domain.analytics.glitches import find_glitches, without_glitches
from promoteros_pipelines.domain.analytics.schema import unusable_metrics

NOW = T0 + timedelta(days=2)


def status(*rows: dict) -> str:
    return run(signals(*rows), empty_events(), 1)["status"][0]


def test_tier_relative_growth_never_confirms_alone_however_strong():
    # a one-day +30% step or a fast steady grower: far above its tier, nothing else
    assert status(signal(0, signal_type="tier_relative_growth", strength=12.0)) == "new"
    two_platforms = [
        signal(0, platform="tiktok", signal_type="tier_relative_growth", strength=5.0),
        signal(1, platform="youtube", signal_type="tier_relative_growth", strength=5.0),
    ]
    assert status(*two_platforms) == "new"


def test_a_weak_seed_signal_beside_a_strong_tier_signal_does_not_confirm():
    rows = [
        signal(0, signal_type="tier_relative_growth", strength=20.0),
        signal(0, platform="cross", signal_type="cross_platform", strength=1.05),
    ]
    assert status(*rows) == "new"


def test_seed_definitions_confirm_with_corroboration_or_strength():
    assert status(signal(0, strength=1.6)) == "confirmed"  # +80% in 24h
    assert status(signal(0, signal_type="engagement_surge", strength=1.6)) == "confirmed"
    corroborated = [
        signal(0, strength=1.1),
        signal(2, platform="instagram", signal_type="engagement_surge", strength=1.1),
    ]
    assert status(*corroborated) == "confirmed"
    assert status(signal(0, strength=1.1)) == "new"


def test_an_existing_event_with_a_strong_tier_peak_needs_seed_strength_of_its_own():
    first = run(
        signals(signal(0, signal_type="tier_relative_growth", strength=9.0)), empty_events(), 1
    )
    later = signals(signal(6, platform="cross", signal_type="cross_platform", strength=1.1))
    events = run(later, first.drop("previous_status", "change"), 7)
    assert events["status"][0] == "new"
    assert events["last_signal_at"][0] > T


def series(artist_id, platform, metric, values, hours=6):
    return [
        (artist_id, platform, metric, NOW - timedelta(hours=hours * (len(values) - 1 - i)), v)
        for i, v in enumerate(values)
    ]


def test_a_one_sample_glitch_is_found_set_aside_and_makes_no_spike():
    # 6-hourly followers; the fourth reading is 1% of the count and the next one is back
    values = [20_000.0, 20_050, 20_100, 201.0, 20_150, 20_200, 20_250, 20_300, 20_350]
    rows = series(1, "instagram", "followers", values)
    glitches = find_glitches(observations(rows)).collect()
    assert glitches.select("value", "value_before", "value_after").row(0) == (
        201.0,
        20_100.0,
        20_150.0,
    )
    assert without_glitches(observations(rows)).collect().height == len(values) - 1
    # 24h after the glitch, the comparison would have been +9,900%: nothing fires
    found = detect_viral_signals(
        observations(rows), baselines([]), as_of=NOW, lookback=timedelta(hours=48)
    ).collect()
    assert found.filter(pl.col("signal_type") == "follower_spike").is_empty()


def test_a_real_jump_that_stays_is_not_a_glitch():
    values = [20_000.0, 20_050, 45_000, 46_000, 47_000]
    rows = observations(series(1, "tiktok", "followers", values))
    assert find_glitches(rows).collect().is_empty()


def engagement_history(platform: str, metric: str, extra: float) -> list:
    followers = series(1, platform, "followers", [10_000.0] * 5)
    counter = series(1, platform, metric, [50_000.0, 50_050, 50_100, 50_150, 50_200 + extra])
    return followers + counter


def test_spotify_and_youtube_likes_surges_are_engagement_surges():
    day = DAY0 + timedelta(days=0)
    for platform in ("spotify", "youtube"):
        base = baselines([{"artist_id": 1, "platform": platform, "day": day}])
        rows = engagement_history(platform, "likes", extra=800.0)  # 1,000 likes/day vs 200
        if platform == "youtube":  # views arrive too, flat: likes are the canonical counter
            rows += series(1, "youtube", "views", [9e5 + 500 * i for i in range(5)])
        found = detect_viral_signals(observations(rows), base, as_of=NOW).collect()
        surge = found.filter(pl.col("signal_type") == "engagement_surge")
        assert surge["platform"].to_list() == [platform]
        assert surge["metric"].to_list() == ["likes"]


def test_metrics_the_detector_cannot_use_are_counted():
    rows = series(1, "spotify", "monthly_listeners", [1.0, 2.0]) + series(
        1, "tiktok", "likes", [1.0, 2.0]
    )
    counted = unusable_metrics(observations(rows)).collect()
    assert counted.rows() == [("spotify", "monthly_listeners", 2)]


def spike_with_likes(likes_last_day: float) -> pl.DataFrame:
    """TikTok followers +150% in 24h (five 6-hourly readings) and the likes counter beside
    them: a usual day is 200 likes (2% of 10,000 followers); the last day gets
    ``likes_last_day``."""
    followers = series(1, "tiktok", "followers", [10_000.0, 10_020, 10_040, 10_060, 25_000])
    likes = [50_000.0, 50_050, 50_100, 50_150, 50_000 + likes_last_day]
    return observations(followers + series(1, "tiktok", "likes", likes))


def test_a_follower_spike_without_engagement_needs_more_evidence():
    base = baselines([{"artist_id": 1, "platform": "tiktok", "day": DAY0}])
    outcomes = {}
    for name, likes in (("bots", 200.0), ("fans", 4_000.0)):
        found = detect_viral_signals(spike_with_likes(likes), base, as_of=NOW).collect()
        spike = found.filter(pl.col("signal_type") == "follower_spike")
        assert spike["strength"].to_list() == [3.0]  # the same +150% jump either way
        outcomes[name] = (spike["ratio"][0], status(*spike.to_dicts()))
    # bought followers: the day's likes are the usual day's, and the jump does not confirm
    assert outcomes["bots"] == (1.0, "new")
    # new fans like: 20 times the usual day's likes, and the same jump confirms on its own
    assert outcomes["fans"] == (20.0, "confirmed")


def cross_platform_with_youtube(subscribers: list[float]) -> pl.DataFrame:
    """A TikTok spike, and YouTube subscribers as YouTube shows them (three significant
    figures), usually +1.2% a day with a tight baseline."""
    tiktok = series(1, "tiktok", "followers", [10_000.0, 10_020, 10_040, 10_060, 25_000])
    base = baselines(
        [
            {"artist_id": 1, "platform": "tiktok", "day": DAY0},
            {
                "artist_id": 1,
                "platform": "youtube",
                "day": DAY0,
                "followers": 140_000.0,
                "growth_1d_baseline_median": 0.012,
                "growth_1d_baseline_mad": 0.0005,
            },
        ]
    )
    rows = observations(tiktok + series(1, "youtube", "followers", subscribers))
    found = detect_viral_signals(rows, base, as_of=NOW).collect()
    return found.filter(pl.col("signal_type") == "cross_platform")


def test_a_rounded_count_moving_by_one_step_does_not_corroborate_cross_platform():
    # 140,000 -> 145,000 in 24h (+3.6%) is within a rounding step or so of the usual day
    assert cross_platform_with_youtube([140e3, 141e3, 142e3, 142e3, 145e3]).is_empty()
    # 140,000 -> 151,000 (+7.9%) is well beyond the rounding: two platforms really move
    found = cross_platform_with_youtube([140e3, 141e3, 143e3, 147e3, 151e3])
    assert found["platforms"].to_list() == ["tiktok, youtube"]


def test_likes_compared_with_a_reset_reading_are_no_surge():
    base = baselines([{"artist_id": 1, "platform": "spotify", "day": DAY0}])
    followers = series(1, "spotify", "followers", [10_000.0] * 5)

    def surges(likes: list[float]) -> list[str]:
        rows = observations(followers + series(1, "spotify", "likes", likes))
        found = detect_viral_signals(rows, base, as_of=NOW).collect()
        return found.filter(pl.col("signal_type") == "engagement_surge")["platform"].to_list()

    # the counter read 0 for two samples (a reset), then its true total again: nothing new
    assert surges([0.0, 0.0, 50_100, 50_150, 50_200]) == []
    # the same total reached by 1,000 likes in a day (5x the usual 200) is a surge
    assert surges([49_200.0, 49_450, 49_700, 49_950, 50_200]) == ["spotify"]


def test_the_models_rival_is_the_same_evidence_rules_as_the_events():
    # champion/challenger scores "the rules alone" per signal from its 48h context: it must be
    # the decision group_into_episodes takes, not an older single-signal rule
    from test_model_robustness import EMPTY_DAILY

    from promoteros_pipelines.domain.analytics.model.features import signal_features

    cases = [
        [signal(0, signal_type="tier_relative_growth", strength=12.0)],
        [signal(0, strength=3.0, ratio=1.0)],  # followers without fans: bots
        [signal(0, strength=1.1, ratio=2.5)],  # followers with their likes
        [signal(0, signal_type="engagement_surge", strength=1.6)],
        [signal(0, strength=1.1), signal(2, platform="instagram", signal_type="engagement_surge")],
        [
            signal(0, signal_type="tier_relative_growth", strength=20.0),
            signal(0, platform="cross", signal_type="cross_platform", strength=1.05),
        ],
        [
            signal(0, signal_type="tier_relative_growth", strength=8.0),
            signal(1, signal_type="engagement_surge", strength=1.1),
        ],
    ]
    expected = [False, False, True, True, True, False, True]
    decided = []
    for rows in cases:
        frame = signal_features(signals(*rows), EMPTY_DAILY).sort("detected_at")
        last = frame["rules_confirmed"][-1]
        assert last == (status(*rows) == "confirmed"), rows
        decided.append(last)
    assert decided == expected


def test_tier_growth_counts_only_beside_an_engagement_surge_on_its_platform():
    tier = signal(0, signal_type="tier_relative_growth", strength=8.0)
    surge_here = signal(0, signal_type="engagement_surge", strength=1.1)
    surge_elsewhere = signal(0, platform="youtube", signal_type="engagement_surge", strength=1.1)
    assert status(tier, surge_here) == "confirmed"  # followers and fans on TikTok
    assert status(tier, surge_elsewhere) == "new"  # unrelated platforms
    assert status(surge_here) == "new"
