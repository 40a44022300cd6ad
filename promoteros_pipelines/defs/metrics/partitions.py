"""Time windows the pipelines work in, starting where the warehouse's history starts."""

from dagster import TimeWindowPartitionsDefinition

from promoteros_pipelines.settings import history_start

HISTORY_START = history_start()
"""First UTC day of every time partition (``settings.history_start``), fixed at load."""

# Every metric pull covers one 6-hour window (00, 06, 12, 18 UTC); the observation is
# stamped at the window's end, so re-running a window overwrites rather than adds.
six_hourly = TimeWindowPartitionsDefinition(
    cron_schedule="0 */6 * * *",
    start=f"{HISTORY_START:%Y-%m-%d}-00:00",
    fmt="%Y-%m-%d-%H:%M",
    timezone="UTC",
)
