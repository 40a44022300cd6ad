"""When things run on their own."""

from dagster import DefaultScheduleStatus, build_schedule_from_partitioned_job

from promoteros_pipelines.defs.discovery.jobs import discover_and_pull

# Every 6 hours, as each window closes, for the window that just ended.
discover_and_pull_every_6_hours = build_schedule_from_partitioned_job(
    discover_and_pull,
    name="discover_and_pull_every_6_hours",
    default_status=DefaultScheduleStatus.RUNNING,
    description="00:00, 06:00, 12:00 and 18:00 UTC: find and track trending artists, then pull "
    "every tracked artist's metrics for the 6-hour window that just ended.",
)
