"""The InfluxDB mirror, over real HTTP, against a strict protocol-level stand-in.

InfluxDB 2/3 cannot run here; tests/support/influx_standin.py parses line protocol, checks
the token, and fails on demand.
"""

import datetime as dt

import polars as pl
import pytest

from promoteros_pipelines.defs.metrics.influx_store import mirror_observations, pending_rows
from promoteros_pipelines.resources.influx import InfluxMirror, InfluxWriteError
from promoteros_pipelines.simulator.server import SimulatorServer
from tests.support.influx_standin import InfluxStandIn

PLATFORMS = ["spotify", "youtube", "tiktok", "instagram"]


@pytest.fixture
def standin():
    influx = InfluxStandIn()
    with SimulatorServer(influx.app()) as server:
        influx.url = server.base_url  # type: ignore[attr-defined]
        yield influx


def _observations(warehouse, artists: int, steps: int, start: dt.datetime) -> pl.DataFrame:
    warehouse.execute(
        "INSERT INTO promoteros.artists (name, normalized_name) OVERRIDING SYSTEM VALUE"
        " SELECT 'a' || g, 'a' || g FROM generate_series(1, %s) g ON CONFLICT DO NOTHING",
        (artists,),
    )
    frame = (
        pl.DataFrame({"artist_id": pl.int_range(1, artists + 1, eager=True)})
        .join(pl.DataFrame({"platform": PLATFORMS}), how="cross")
        .join(pl.DataFrame({"metric": ["followers", "posts"]}), how="cross")
        .join(pl.DataFrame({"step": pl.int_range(0, steps, eager=True)}), how="cross")
        .select(
            "artist_id",
            "platform",
            "metric",
            (pl.lit(start) + pl.duration(hours=pl.col("step"))).alias("observed_at"),
            (pl.col("step") * 10 + pl.col("artist_id")).cast(pl.Float64).alias("value"),
        )
    )
    warehouse.append("metric_observations", frame)
    return frame


def _mirror(standin: InfluxStandIn, batch_lines: int = 5_000) -> InfluxMirror:
    return InfluxMirror(url=standin.url, token="test-token", batch_lines=batch_lines)


def test_every_point_arrives_once_with_tags_and_fields(warehouse, standin):
    frame = _observations(warehouse, 30, 5, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    report = mirror_observations(warehouse, _mirror(standin, batch_lines=100), settle_seconds=0)
    assert report.rows == frame.height
    counts = standin.field_counts()
    assert len(counts) == frame.height and set(counts.values()) == {1}
    measurement, tags, fields, ts = standin.points[0]
    assert measurement == "artist_metrics"
    assert dict(tags).keys() == {"artist_id", "platform"}
    assert set(fields) <= {"followers", "posts"}
    assert ts == int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())
    assert pending_rows(warehouse) == 0
    assert mirror_observations(warehouse, _mirror(standin), settle_seconds=0).rows == 0


def test_an_outage_loses_nothing_and_duplicates_nothing(warehouse, standin):
    frame = _observations(warehouse, 40, 5, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    mirror = _mirror(standin, batch_lines=150)

    standin.fail_next(1, 503)
    with pytest.raises(InfluxWriteError, match="503"):
        mirror_observations(warehouse, mirror, settle_seconds=0)
    assert standin.points == []
    assert pending_rows(warehouse) == frame.height

    # three batches are confirmed, then InfluxDB starts refusing (429) mid-run
    standin.fail_next(1, 429, after=3)
    with pytest.raises(InfluxWriteError, match="429"):
        mirror_observations(warehouse, mirror, settle_seconds=0)
    assert len(standin.field_counts()) == 3 * 150
    assert pending_rows(warehouse) == frame.height - 3 * 150

    report = mirror_observations(warehouse, mirror, settle_seconds=0)
    counts = standin.field_counts()
    assert report.rows == frame.height - 3 * 150
    assert len(counts) == frame.height
    assert set(counts.values()) == {1}
    assert pending_rows(warehouse) == 0


def test_new_rows_after_a_run_are_picked_up_next_time(warehouse, standin):
    _observations(warehouse, 5, 2, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    mirror_observations(warehouse, _mirror(standin), settle_seconds=0)
    later = _observations(warehouse, 5, 2, dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    report = mirror_observations(warehouse, _mirror(standin), settle_seconds=0)
    assert report.rows == later.height
    assert set(standin.field_counts().values()) == {1}


def test_rows_younger_than_the_settle_time_wait(warehouse, standin):
    _observations(warehouse, 3, 1, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert mirror_observations(warehouse, _mirror(standin), settle_seconds=3600).rows == 0
    assert pending_rows(warehouse) > 0


def test_a_wrong_token_is_refused_and_nothing_moves(warehouse, standin):
    _observations(warehouse, 3, 1, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    wrong = InfluxMirror(url=standin.url, token="nope")
    with pytest.raises(InfluxWriteError, match="401"):
        mirror_observations(warehouse, wrong, settle_seconds=0)
    assert pending_rows(warehouse) == 24
