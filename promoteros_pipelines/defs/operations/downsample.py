"""Nightly InfluxDB downsampling: raw points older than the raw retention become hourly means.

The range already rolled up is remembered in ``mirror_high_water_marks`` (mirror
``influxdb_hourly``), moved only after InfluxDB confirmed the rollup and the delete, so a
failed night is simply redone the next night. Hours are whole: the cutoff is rounded down to
the hour, so an hour is never split between raw and hourly points.
"""

import datetime as dt
from typing import Any

from promoteros_pipelines.defs.operations import store
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MIRROR = "influxdb_hourly"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DEFAULT_RAW_RETENTION_DAYS = 30


def downsample(
    warehouse: PostgresWarehouse,
    influx: InfluxMirror,
    now: dt.datetime,
    raw_retention_days: int = DEFAULT_RAW_RETENTION_DAYS,
) -> dict[str, Any]:
    """Roll up [last cutoff, now - retention) into hourly points; what it did."""
    if not influx.enabled:
        return {"skipped": "InfluxDB is not configured (INFLUXDB_URL)"}
    cutoff = (now - dt.timedelta(days=raw_retention_days)).replace(
        minute=0, second=0, microsecond=0
    )
    start = store.high_water_mark(warehouse, MIRROR) or EPOCH
    if cutoff <= start:
        return {"hourly_points_written": 0, "rolled_up_until": start.isoformat()}
    written = influx.downsample_hourly(start, cutoff)
    store.save_high_water_mark(warehouse, MIRROR, cutoff, written)
    return {"hourly_points_written": written, "rolled_up_until": cutoff.isoformat()}
