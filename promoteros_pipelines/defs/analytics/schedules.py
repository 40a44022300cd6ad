"""When the analytics run: daily at 02:00 per organisation time zone, viral every 30 minutes.

Daily partitions are UTC days (one table every organisation shares). Each distinct time zone
in the organisations reference file gets its own 02:00 schedule that computes the UTC day that
has most recently closed; Dagster's cron in ``execution_timezone`` handles daylight saving (a
tick falling in a skipped hour runs at the next valid time, a repeated hour runs once). Two
time zones may both compute the same day: the second run replaces the partition with the same
or newer data, and the ``run_key`` keeps each schedule to one run per day.
"""

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from promoteros_pipelines.defs.reference.loader import organisation_time_zones

daily_analytics = define_asset_job(
    "daily_analytics",
    selection=AssetSelection.assets("daily_artist_metrics", "artist_momentum"),
    description="Daily metrics and momentum for one UTC day (backfill a range to rebuild).",
)
viral_detection = define_asset_job(
    "viral_detection",
    selection=AssetSelection.assets("viral_signals", "viral_events"),
    description="Viral signals over the last 48h of observations, then events and alerts.",
)
viral_model_training = define_asset_job(
    "viral_model_training",
    selection=AssetSelection.assets("viral_model"),
    description="Retrain, test and store the viral model.",
)


def day_to_compute(tick: dt.datetime) -> str:
    """The partition key of the last UTC day that closed before ``tick``."""
    closed = tick.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return closed.isoformat()


def _schedule_name(time_zone: str) -> str:
    slug = time_zone.lower().replace("/", "_").replace("-", "_").replace("+", "plus")
    return f"daily_analytics_0200_{slug}"


def daily_analytics_schedule(time_zone: str) -> ScheduleDefinition:
    """02:00 in ``time_zone``: daily metrics and momentum for the UTC day just closed."""

    @schedule(
        name=_schedule_name(time_zone),
        cron_schedule="0 2 * * *",
        execution_timezone=time_zone,
        job=daily_analytics,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"02:00 {time_zone}: analytics for the UTC day that just closed.",
    )
    def _daily(context: ScheduleEvaluationContext) -> RunRequest:
        key = day_to_compute(context.scheduled_execution_time)
        return RunRequest(run_key=f"{time_zone}:{key}", partition_key=key)

    return _daily


viral_detection_every_30_minutes = ScheduleDefinition(
    name="viral_detection_every_30_minutes",
    job=viral_detection,
    cron_schedule="*/30 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
viral_model_weekly = ScheduleDefinition(
    name="viral_model_weekly",
    job=viral_model_training,
    cron_schedule="0 4 * * 1",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)

ANALYTICS_JOBS = [daily_analytics, viral_detection, viral_model_training]
ANALYTICS_SCHEDULES = [
    *(daily_analytics_schedule(zone) for zone in organisation_time_zones() or ("UTC",)),
    viral_detection_every_30_minutes,
    viral_model_weekly,
]
