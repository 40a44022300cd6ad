"""The time windows every area works in, in one place (areas share them: the digest reads the
daily analytics partitions, the report weeks are made of those days)."""

from dagster import (
    DailyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

# Every metric pull covers one 6-hour window (00, 06, 12, 18 UTC); the observation is
# stamped at the window's end, so re-running a window overwrites rather than adds.
six_hourly = TimeWindowPartitionsDefinition(
    cron_schedule="0 */6 * * *", start="2025-01-01-00:00", fmt="%Y-%m-%d-%H:%M", timezone="UTC"
)
# Analytics days are UTC days: one table every organisation shares.
analytics_daily = DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
# Report weeks run Monday to Sunday; a week is available the Monday after it ends.
weekly_partitions = WeeklyPartitionsDefinition(start_date="2025-01-06", day_offset=1, end_offset=1)
