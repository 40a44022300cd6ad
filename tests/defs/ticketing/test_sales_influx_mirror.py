"""Ticket sales points mirrored to InfluxDB with the metrics, over real HTTP, against the
strict protocol-level stand-in the metric mirror's tests use (tests/support/influx_standin.py).
"""

from urllib.parse import unquote

import pytest
from dagster import materialize

from promoteros_pipelines.defs.ticketing.influx_store import mirror_sales, pending_sales
from promoteros_pipelines.defs.ticketing.mirror import ticket_sales_influxdb_mirror
from promoteros_pipelines.resources.influx import InfluxMirror, InfluxWriteError
from promoteros_pipelines.simulator.server import SimulatorServer
from tests.defs.ticketing.ticketing_support import T0, ingest, sales_event, venue_world
from tests.support.influx_standin import InfluxStandIn


@pytest.fixture
def standin():
    influx = InfluxStandIn()
    with SimulatorServer(influx.app()) as server:
        influx.url = server.base_url  # type: ignore[attr-defined]
        yield influx


def _mirror(standin: InfluxStandIn, batch_lines: int = 5_000) -> InfluxMirror:
    return InfluxMirror(url=standin.url, token="test-token", batch_lines=batch_lines)


@pytest.fixture
def sold(warehouse):
    world = venue_world(warehouse)
    ingest(
        warehouse,
        [
            sales_event(warehouse, "tm 1,a=b", [(0, 100), (10, 350), (20, 300)]),
            sales_event(warehouse, "tm-2", [(0, 10)], venue_slug="roundhouse"),
        ],
    )
    return world


def test_each_point_arrives_once_with_its_velocity(warehouse, standin, sold):
    report = mirror_sales(warehouse, _mirror(standin, batch_lines=2), settle_seconds=0)
    assert (report.rows, report.requests) == (4, 2)
    points = {
        (unquote(dict(tags)["show_id"]), ts): (measurement, dict(tags), fields)
        for measurement, tags, fields, ts in standin.points
    }
    assert len(points) == len(standin.points) == 4
    at = int(T0.timestamp())
    measurement, tags, fields = points[("tm 1,a=b", at + 10 * 3600)]
    assert measurement == "ticket_sales"
    assert tags["venue_id"] == str(sold["leadmill"]) and tags["organisation_id"] == str(sold["org"])
    assert float(fields["tickets_sold"]) == 350 and float(fields["sell_through"]) == 0.35
    assert float(fields["velocity_per_hour"]) == 25.0  # 250 tickets in 10 hours
    assert float(fields["gross"]) == 7000.0
    refund = points[("tm 1,a=b", at + 20 * 3600)][2]
    assert float(refund["velocity_per_hour"]) == -5.0  # a refund is a negative velocity
    assert "velocity_per_hour" not in points[("tm-2", at)][2]  # a first point has none
    assert pending_sales(warehouse) == 0
    assert mirror_sales(warehouse, _mirror(standin), settle_seconds=0).rows == 0


def test_an_outage_loses_nothing_and_sends_nothing_twice(warehouse, standin, sold):
    standin.fail_next(1, 503, after=1)
    with pytest.raises(InfluxWriteError, match="503"):
        mirror_sales(warehouse, _mirror(standin, batch_lines=1), settle_seconds=0)
    assert len(standin.points) == 1 and pending_sales(warehouse) == 3
    ingest(warehouse, [sales_event(warehouse, "tm-2", [(30, 40)])])
    report = mirror_sales(warehouse, _mirror(standin, batch_lines=1), settle_seconds=0)
    assert report.rows == 4 and pending_sales(warehouse) == 0
    assert set(standin.field_counts().values()) == {1}
    assert len({(tags, ts) for _, tags, _, ts in standin.points}) == 5


def test_the_mirror_asset_sends_settled_points(warehouse, standin, sold):
    influx = _mirror(standin)
    result = materialize(
        [ticket_sales_influxdb_mirror], resources={"warehouse": warehouse, "influxdb": influx}
    )
    assert result.success
    metadata = result.asset_materializations_for_node("ticket_sales_influxdb_mirror")[0].metadata
    # the mirror waits a minute for open transactions: these rows are seconds old
    assert metadata["points_waiting"].value == 4
    assert metadata["points_mirrored"].value == 0
    warehouse.execute(
        "UPDATE promoteros.ticket_sales SET ingested_at = ingested_at - interval '2 minutes'"
    )
    result = materialize(
        [ticket_sales_influxdb_mirror], resources={"warehouse": warehouse, "influxdb": influx}
    )
    metadata = result.asset_materializations_for_node("ticket_sales_influxdb_mirror")[0].metadata
    assert metadata["points_mirrored"].value == 4
    assert {m for m, *_ in standin.points} == {"ticket_sales"}


def test_no_influxdb_no_mirror(warehouse, sold):
    result = materialize(
        [ticket_sales_influxdb_mirror],
        resources={"warehouse": warehouse, "influxdb": InfluxMirror()},
    )
    assert result.success
    assert pending_sales(warehouse) == 4
