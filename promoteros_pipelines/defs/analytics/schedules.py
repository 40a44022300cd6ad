"""When the analytics run: daily metrics once per UTC day, viral every 30 minutes, the model weekly.

Daily partitions are UTC days (one table every organisation shares), so one run a day computes
each day once: at 01:00 UTC, after the 18:00-24:00 pull that closes the day has run (it starts
at 00:00), and before 02:00 in every organisation time zone we ship (Europe), so each
organisation's morning digest and reports read the finished day.
"""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    build_schedule_from_partitioned_job,
    define_asset_job,
    schedule,
)

daily_analytics = define_asset_job(
    "daily_analytics",
    selection=AssetSelection.assets("daily_artist_metrics", "artist_momentum"),
    description="Daily metrics and momentum for one UTC day (backfill a range to rebuild).",
)
viral_detection = define_asset_job(
    "viral_detection",
    selection=AssetSelection.assets("viral_signals", "viral_events"),
    description="Viral signals over the last 48h of observations, then events and alerts "
    "(today's partition); backfill past days to replay them in one run, without alerts.",
)
viral_model_training = define_asset_job(
    "viral_model_training",
    selection=AssetSelection.assets("viral_model"),
    description="Retrain, test and store the viral model.",
)


daily_analytics_every_day = build_schedule_from_partitioned_job(
    daily_analytics,
    name="daily_analytics_every_day",
    hour_of_day=1,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
    description="01:00 UTC: daily metrics and momentum for the UTC day that just closed.",
)


@schedule(
    name="viral_detection_every_30_minutes",
    job=viral_detection,
    cron_schedule="*/30 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every 30 minutes: viral signals over the last 48 hours, then new or updated "
    "viral events (confirmed by the model once one is trained) and their alerts.",
)
def viral_detection_every_30_minutes(context: ScheduleEvaluationContext) -> RunRequest:
    """Today's (UTC) partition, detected as of now: the live round."""
    return RunRequest(partition_key=f"{context.scheduled_execution_time:%Y-%m-%d}")


viral_model_weekly = ScheduleDefinition(
    name="viral_model_weekly",
    job=viral_model_training,
    cron_schedule="0 4 * * 1",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Mondays 04:00 UTC: retrain the viral model on signals with 14 days of "
    "hindsight, test it on the newest ones, and store it for viral detection.",
)
