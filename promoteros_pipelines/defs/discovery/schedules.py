"""When things run on their own."""

from dagster import DefaultScheduleStatus, build_schedule_from_partitioned_job

from promoteros_pipelines.defs.discovery.jobs import discover_and_pull

# Every 6 hours, as each window closes, for the window that just ended.
discover_and_pull_every_6_hours = build_schedule_from_partitioned_job(
    discover_and_pull,
    name="discover_and_pull_every_6_hours",
    default_status=DefaultScheduleStatus.RUNNING,
)
