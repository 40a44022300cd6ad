"""Time windows the pipelines work in."""

from dagster import TimeWindowPartitionsDefinition

# Every metric pull covers one 6-hour window (00, 06, 12, 18 UTC); the observation is
# stamped at the window's end, so re-running a window overwrites rather than adds.
six_hourly = TimeWindowPartitionsDefinition(
    cron_schedule="0 */6 * * *", start="2025-01-01-00:00", fmt="%Y-%m-%d-%H:%M", timezone="UTC"
)
