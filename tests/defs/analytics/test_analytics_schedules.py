"""Daily analytics run once per UTC day, for the day that just closed."""

import datetime as dt

import pytest
from dagster import build_schedule_context

from promoteros_pipelines.definitions import defs


def test_one_daily_analytics_schedule_for_every_organisation():
    repository = defs.get_repository_def()
    daily = [s for s in repository.schedule_defs if s.job_name == "daily_analytics"]
    assert [s.name for s in daily] == ["daily_analytics_every_day"]
    assert daily[0].cron_schedule == "0 1 * * *"
    assert daily[0].execution_timezone in (None, "UTC")


@pytest.mark.parametrize(
    "day",
    [dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2026, 12, 31), dt.date(2027, 1, 1)],
)
def test_each_tick_computes_the_utc_day_that_closed(day):
    tick = dt.datetime.combine(day, dt.time(1), tzinfo=dt.UTC)
    schedule = defs.get_repository_def().get_schedule_def("daily_analytics_every_day")
    with build_schedule_context(scheduled_execution_time=tick) as context:
        result = schedule.evaluate_tick(context)
    [request] = result.run_requests
    assert request.partition_key == (day - dt.timedelta(days=1)).isoformat()
