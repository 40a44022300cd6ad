"""02:00 in each organisation's time zone, across daylight-saving changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dagster import build_schedule_context
from dagster._utils.schedules import cron_string_iterator

from promoteros_pipelines.defs.analytics.schedules import (
    ANALYTICS_SCHEDULES,
    daily_analytics_schedule,
    day_to_compute,
    organisation_time_zones,
)

LONDON = ZoneInfo("Europe/London")


def ticks(zone: str, start: dt.datetime, count: int) -> list[dt.datetime]:
    iterator = cron_string_iterator(start.timestamp(), "0 2 * * *", zone)
    return [next(iterator) for _ in range(count)]


def test_one_schedule_per_organisation_time_zone():
    names = {s.name for s in ANALYTICS_SCHEDULES}
    assert {"viral_detection_every_30_minutes", "viral_model_weekly"} <= names
    for zone in organisation_time_zones():
        assert f"daily_analytics_0200_{zone.lower().replace('/', '_')}" in names
    assert "Europe/London" in organisation_time_zones()


@pytest.mark.parametrize(
    ("start", "change"),
    [
        (dt.datetime(2026, 3, 27, 12, tzinfo=LONDON), dt.date(2026, 3, 29)),  # clocks go forward
        (dt.datetime(2026, 10, 23, 12, tzinfo=LONDON), dt.date(2026, 10, 25)),  # and back
    ],
)
def test_london_runs_once_a_day_at_two_and_computes_every_day_once(start, change):
    runs = ticks("Europe/London", start, 5)
    local = [t.astimezone(LONDON) for t in runs]
    assert [t.hour for t in local] == [2] * 5
    assert [t.date() for t in local] == [start.date() + dt.timedelta(days=i) for i in range(1, 6)]
    assert change in [t.date() for t in local]
    days = [day_to_compute(t) for t in runs]
    expected = [(start.date() + dt.timedelta(days=i)).isoformat() for i in range(5)]
    assert days == expected  # the UTC day that had just closed, none skipped or repeated


def test_the_schedule_asks_for_the_day_that_closed():
    schedule = daily_analytics_schedule("Europe/London")
    # 02:00 BST on the day clocks went forward is 01:00 UTC
    tick = dt.datetime(2026, 3, 29, 2, tzinfo=LONDON)
    run = schedule(build_schedule_context(scheduled_execution_time=tick))
    assert run.partition_key == "2026-03-28"
    assert run.run_key == "Europe/London:2026-03-28"


def test_berlin_skipped_hour_still_runs_that_day():
    # 02:00 does not exist in Berlin on 2026-03-29 (02:00 -> 03:00); the tick moves, not drops
    runs = ticks("Europe/Berlin", dt.datetime(2026, 3, 28, 12, tzinfo=ZoneInfo("Europe/Berlin")), 3)
    dates = [t.astimezone(ZoneInfo("Europe/Berlin")).date() for t in runs]
    assert dates == [dt.date(2026, 3, 29), dt.date(2026, 3, 30), dt.date(2026, 3, 31)]
    assert [day_to_compute(t) for t in runs] == ["2026-03-28", "2026-03-29", "2026-03-30"]
