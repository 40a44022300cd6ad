"""Freshness policies of the assets people rely on, in one place so their promises read together.

``check_results_to_alerts`` (defs/operations) turns a breach into one system alert per incident:
past the warn window a warning, past the fail window critical. Windows follow the schedules:
observations arrive with the 6-hourly pull (and scraper batches in between), the daily tables
once per UTC day at 01:00, viral events every 30 minutes.
"""

import datetime as dt

from dagster import FreshnessPolicy

OBSERVATIONS = FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=8), warn_window=dt.timedelta(hours=6, minutes=30)
)
DAILY = FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=30), warn_window=dt.timedelta(hours=25)
)
EVERY_30_MINUTES = FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=2), warn_window=dt.timedelta(hours=1)
)
