"""The time windows every area works in, in one place (areas share them: the digest reads the
daily analytics partitions, the report weeks are made of those days).

They start where the warehouse's history starts (``settings.history_start``: the
PROMOTEROS_HISTORY_START setting, else the start of the demo's simulated history), fixed when
the code location loads, so the partitions view shows the days that can hold data.
"""

from dagster import (
    DailyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from promoteros_pipelines.settings import history_start

HISTORY_START = history_start()

# Every metric pull covers one 6-hour window (00, 06, 12, 18 UTC); the observation is
# stamped at the window's end, so re-running a window overwrites rather than adds.
six_hourly = TimeWindowPartitionsDefinition(
    cron_schedule="0 */6 * * *",
    start=f"{HISTORY_START:%Y-%m-%d}-00:00",
    fmt="%Y-%m-%d-%H:%M",
    timezone="UTC",
)
# Analytics days are UTC days: one table every organisation shares.
analytics_daily = DailyPartitionsDefinition(start_date=f"{HISTORY_START:%Y-%m-%d}", timezone="UTC")
# Viral detection days: today included (end_offset), since the 30-minute schedule runs today's
# partition as of now; a range of past days is a replay (defs/analytics/viral_history.py).
viral_days = DailyPartitionsDefinition(
    start_date=f"{HISTORY_START:%Y-%m-%d}", timezone="UTC", end_offset=1
)
# Report weeks run Monday to Sunday, from the first Monday of the history; a week is available
# the Monday after it ends, and (end_offset) the week in progress too: zones east of UTC report
# on their Monday morning, and the demo reports the week so far.
weekly_partitions = WeeklyPartitionsDefinition(
    start_date=f"{HISTORY_START:%Y-%m-%d}", day_offset=1, end_offset=1
)
