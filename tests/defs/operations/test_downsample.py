"""InfluxDB downsampling through influxdb-client, over real HTTP, against the same strict
stand-in as the mirror's tests: raw points older than the raw retention become hourly means,
and only then are the raw points deleted."""

import datetime as dt
from collections.abc import Iterator

import polars as pl
import pytest

from promoteros_pipelines.defs.metrics.influx_store import mirror_observations
from promoteros_pipelines.defs.operations.downsample import downsample
from promoteros_pipelines.resources.influx import InfluxMirror, InfluxWriteError
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.simulator.server import SimulatorServer
from tests.support.influx_standin import InfluxStandIn

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
OLD = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)  # 60 days back: past a 30-day raw retention
RECENT = NOW - dt.timedelta(days=2)


@pytest.fixture
def standin() -> Iterator[InfluxStandIn]:
    influx = InfluxStandIn()
    with SimulatorServer(influx.app()) as server:
        influx.url = server.base_url  # type: ignore[attr-defined]
        yield influx


def _load(warehouse: PostgresWarehouse, start: dt.datetime, quarters: int) -> pl.DataFrame:
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name) OVERRIDING SYSTEM"
        " VALUE VALUES (1, 'a', 'a'), (2, 'b', 'b') ON CONFLICT DO NOTHING"
    )
    frame = (
        pl.DataFrame({"artist_id": [1, 2]})
        .join(pl.DataFrame({"q": pl.int_range(0, quarters, eager=True)}), how="cross")
        .select(
            "artist_id",
            pl.lit("spotify").alias("platform"),
            pl.lit("followers").alias("metric"),
            (pl.lit(start) + pl.duration(minutes=15 * pl.col("q"))).alias("observed_at"),
            (pl.col("artist_id") * 1000 + pl.col("q")).cast(pl.Float64).alias("value"),
        )
    )
    warehouse.append("metric_observations", frame)
    return frame


def test_old_raw_points_become_hourly_means_and_recent_ones_stay(
    warehouse: PostgresWarehouse, standin: InfluxStandIn
) -> None:
    _load(warehouse, OLD, quarters=8)  # two hours of 15-minute points per artist
    _load(warehouse, RECENT, quarters=4)
    mirror = InfluxMirror(url=standin.url, token="test-token")  # type: ignore[attr-defined]
    assert mirror_observations(warehouse, mirror, settle_seconds=0).rows == 24

    done = downsample(warehouse, mirror, NOW, raw_retention_days=30)

    assert done["hourly_points_written"] == 4  # 2 artists x 2 hours
    hourly = {
        (dict(tags)["artist_id"], ts): float(fields["followers"])
        for m, tags, fields, ts in standin.points
        if m == "artist_metrics_hourly"
    }
    first_hour = int(OLD.timestamp())
    assert hourly[("1", first_hour)] == pytest.approx(1000 + (0 + 1 + 2 + 3) / 4)
    assert hourly[("2", first_hour + 3600)] == pytest.approx(2000 + (4 + 5 + 6 + 7) / 4)
    raw_times = {ts for m, _, _, ts in standin.points if m == "artist_metrics"}
    assert raw_times and min(raw_times) >= int(RECENT.timestamp())  # old raw points deleted
    assert len([p for p in standin.points if p[0] == "artist_metrics"]) == 8

    again = downsample(warehouse, mirror, NOW, raw_retention_days=30)
    assert again["hourly_points_written"] == 0


def test_a_refused_rollup_deletes_no_raw_point(
    warehouse: PostgresWarehouse, standin: InfluxStandIn
) -> None:
    _load(warehouse, OLD, quarters=8)
    good = InfluxMirror(url=standin.url, token="test-token")  # type: ignore[attr-defined]
    mirror_observations(warehouse, good, settle_seconds=0)
    wrong = InfluxMirror(url=standin.url, token="test-token", bucket="elsewhere")  # type: ignore[attr-defined]

    with pytest.raises(InfluxWriteError, match="404"):
        downsample(warehouse, wrong, NOW, raw_retention_days=30)

    assert len(standin.points) == 16
    assert downsample(warehouse, good, NOW, raw_retention_days=30)["hourly_points_written"] == 4


def test_without_influxdb_the_step_says_so(warehouse: PostgresWarehouse) -> None:
    assert "not configured" in str(downsample(warehouse, InfluxMirror(), NOW)["skipped"])
