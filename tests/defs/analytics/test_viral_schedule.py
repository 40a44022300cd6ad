"""The 30-minute viral schedule runs today's partition (the live round), every tick."""

import datetime as dt

from dagster import build_schedule_context

from promoteros_pipelines.definitions import defs


def test_each_tick_detects_as_of_now_in_todays_partition():
    schedule = defs.get_repository_def().get_schedule_def("viral_detection_every_30_minutes")
    assert schedule.cron_schedule == "*/30 * * * *"
    for at, day in (
        (dt.datetime(2025, 3, 15, 0, 0, tzinfo=dt.UTC), "2025-03-15"),
        (dt.datetime(2025, 3, 15, 23, 30, tzinfo=dt.UTC), "2025-03-15"),
    ):
        context = build_schedule_context(
            scheduled_execution_time=at, repository_def=defs.get_repository_def()
        )
        (request,) = schedule.evaluate_tick(context).run_requests
        assert request.partition_key == day
        assert request.run_config == {}  # no as_of: the assets detect as of now
