"""Daily features on hand-typed frames; expected values worked out in the comments."""

from datetime import timedelta

import polars as pl
import pytest
from analytics_frames import DAY0, T0, daily_followers, observations

from promoteros_pipelines.domain.analytics import daily_features


def features(rows, day_offset: int, end_offset: int | None = None) -> pl.DataFrame:
    end = None if end_offset is None else DAY0 + timedelta(days=end_offset)
    result = daily_features(observations(rows), start=DAY0 + timedelta(days=day_offset), end=end)
    assert isinstance(result, pl.LazyFrame)
    return result.collect()


def one(frame: pl.DataFrame, **keys) -> dict:
    rows = frame.filter(**keys).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


def test_last_observation_of_the_day_wins_whatever_the_row_order():
    rows = [
        (1, "tiktok", "followers", T0 + timedelta(hours=8), 1_200.0),
        (1, "tiktok", "followers", T0 - timedelta(hours=4), 1_100.0),
        (1, "tiktok", "followers", T0 - timedelta(days=1), 1_000.0),
    ]
    row = one(features(rows, 0), platform="tiktok")
    assert row["followers"] == 1_200.0
    assert row["daily_change"] == 200.0
    assert row["growth_1d"] == pytest.approx(0.2)


def test_missing_days_give_per_day_growth_within_tolerance_and_null_beyond():
    # days 0, 1, then a 3-day gap to day 4 (1100 * 1.1^3 = 1464.1), then a 5-day gap to day 9
    rows = daily_followers(1, "youtube", {0: 1_000.0, 1: 1_100.0, 4: 1_464.1, 9: 2_000.0})
    frame = features(rows, 1, 9)
    assert frame["day"].to_list() == [DAY0 + timedelta(days=d) for d in (1, 4, 9)]
    day4 = one(frame, day=DAY0 + timedelta(days=4))
    assert day4["days_since_prev"] == 3
    assert day4["growth_1d"] == pytest.approx(0.10)  # (1464.1 / 1100) ** (1/3) - 1
    assert day4["daily_change"] == pytest.approx(121.3666667)  # 364.1 / 3
    day9 = one(frame, day=DAY0 + timedelta(days=9))
    assert day9["days_since_prev"] is None
    assert day9["growth_1d"] is None


def test_growth_7d_uses_nearest_earlier_observation_within_tolerance():
    # day 10 vs day 3 (7 days back) is missing; day 2 (8 days back) is within 2 days' tolerance
    rows = daily_followers(1, "tiktok", {2: 1_000.0, 9: 1_400.0, 10: 1_500.0})
    assert one(features(rows, 10), day=DAY0 + timedelta(days=10))["growth_7d"] == pytest.approx(0.5)
    # only 10 days back: outside day-7 minus 2 days -> null
    rows = daily_followers(1, "tiktok", {0: 1_000.0, 10: 1_500.0})
    assert one(features(rows, 10), platform="tiktok")["growth_7d"] is None


def growth_series(growths: dict[int, float], start: float = 10_000.0) -> dict[int, float]:
    """Followers for day offsets such that each listed day grows by its rate per day."""
    values, current, previous_day = {0: start}, start, 0
    for day, rate in sorted(growths.items()):
        current *= (1 + rate) ** (day - previous_day)
        values[day] = current
        previous_day = day
    return values


def test_baseline_median_and_mad_with_gaps():
    # The window is days 2-29. Observed: day 0, days 3-7 (+1%/day; day 3 vs day 0 is a 3-day
    # gap, within tolerance, so it counts as 1% per day), days 15-20 (+3%/day; day 15 follows
    # an 8-day gap so has no growth), day 29 (9-day gap: no growth), today.
    # Ten baseline values, 1% x5 and 3% x5 -> median 2%, MAD 1%.
    history = {d: 0.01 for d in (3, 4, 5, 6, 7)} | {d: 0.03 for d in (16, 17, 18, 19, 20)}
    values = growth_series(history)
    values[15] = values[20] / 1.03**5  # observed again on day 15, before the 3% days
    values[30] = values[20] * 1.07  # today (+7% vs day 20 is outside tolerance) ...
    values[29] = values[20]  # ... so re-observe day 29 flat: today's growth is 7%
    row = one(features(daily_followers(1, "tiktok", values), 30), platform="tiktok")
    assert row["growth_1d"] == pytest.approx(0.07)
    assert row["growth_1d_baseline_days"] == 10
    assert row["growth_1d_baseline_median"] == pytest.approx(0.02)
    assert row["growth_1d_baseline_mad"] == pytest.approx(0.01)
    assert row["growth_z"] == pytest.approx((0.07 - 0.02) / (1.4826 * 0.01))


def test_too_few_baseline_days_gives_null_baseline_and_z():
    values = growth_series({1: 0.01, 2: 0.01, 3: 0.01, 4: 0.2})
    row = one(features(daily_followers(1, "tiktok", values), 4), platform="tiktok")
    assert row["growth_1d_baseline_days"] == 3
    assert row["growth_1d_baseline_median"] is None
    assert row["growth_z"] is None


def test_flat_history_mad_zero_gives_finite_z():
    values = {d: 5_000.0 for d in range(0, 21)} | {21: 5_050.0}  # flat 20 days, then +1%
    frame = features(daily_followers(1, "spotify", values), 20, 21)
    flat, moved = frame.sort("day").to_dicts()
    assert moved["growth_1d_baseline_mad"] == 0.0
    assert moved["growth_z"] == pytest.approx(0.01 / 0.002)  # scale floored at 0.2 pp
    assert flat["growth_z"] == 0.0
    assert frame["growth_z"].is_finite().all()


def test_engagement_rate_per_platform():
    rows = (
        daily_followers(1, "tiktok", {0: 10_000.0, 1: 10_000.0})
        + daily_followers(1, "tiktok", {0: 50_000.0, 1: 50_800.0}, metric="likes")
        + daily_followers(1, "youtube", {0: 2_000.0, 1: 2_000.0})
        + daily_followers(1, "youtube", {0: 9_000.0, 1: 8_000.0}, metric="views")  # recount
        + daily_followers(1, "spotify", {0: 3_000.0, 1: 3_000.0})
        + daily_followers(1, "spotify", {1: 41.0}, metric="popularity")
    )
    frame = features(rows, 1)
    assert one(frame, platform="tiktok")["engagement_rate"] == pytest.approx(0.08)  # 800/10k
    assert one(frame, platform="youtube")["engagements"] is None  # a fall is not zero
    spotify = one(frame, platform="spotify")
    assert spotify["engagement_rate"] is None
    assert spotify["popularity"] == 41.0


def test_a_platform_missing_days_does_not_disturb_the_others():
    rows = daily_followers(1, "youtube", {d: 1_000.0 + 10 * d for d in range(0, 6)})
    rows += daily_followers(1, "tiktok", {0: 1_000.0, 3: 1_331.0})
    frame = features(rows, 1, 5)
    assert frame.filter(platform="youtube").height == 5
    tiktok = frame.filter(platform="tiktok").to_dicts()
    assert [r["day"] for r in tiktok] == [DAY0 + timedelta(days=3)]
    assert tiktok[0]["growth_1d"] == pytest.approx(0.1)  # 1.331 ** (1/3) - 1
    assert one(frame, platform="youtube", day=DAY0 + timedelta(days=5))["growth_1d"] == (
        pytest.approx(10 / 1_040)
    )
