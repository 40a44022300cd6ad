"""The ticketing.sales sensor: micro-batches, parked events released, no-capacity refused."""

import psycopg

from promoteros_pipelines.defs.inbox.store import parse_event_ids
from promoteros_pipelines.defs.ticketing.sensors import MAX_EVENTS_PER_RUN
from promoteros_pipelines.runtime import database
from tests.defs.ticketing.ticketing_support import ingest, milestones, sales_event, venue_world
from tests.support.inbox import Inbox
from tests.support.sensor_ticks import tick

SENSOR = "ticketing_sales_events"


def requested_ids(result) -> list[list[int]]:
    return [parse_event_ids(r.tags["promoteros/event_ids"]) for r in result.run_requests]


def test_a_burst_is_a_few_batched_runs_of_the_ingest_job(warehouse, instance):
    events = [sales_event(warehouse, f"tm-{n}", [(0, n)]) for n in range(450)]
    result = tick(SENSOR, instance, warehouse, cursor=None)
    batches = requested_ids(result)
    assert [len(b) for b in batches] == [MAX_EVENTS_PER_RUN, MAX_EVENTS_PER_RUN, 50]
    assert [i for b in batches for i in b] == events
    assert {r.job_name for r in result.run_requests} <= {None, "ingest_ticket_sales"}
    config = result.run_requests[0].run_config["ops"]["ticket_sales"]["config"]
    assert config["event_ids"] == batches[0]
    assert tick(SENSOR, instance, warehouse, cursor=result.cursor).run_requests == []


def test_events_parked_as_waiting_before_run_and_are_not_lost(warehouse, instance):
    venue_world(warehouse)
    parked = sales_event(warehouse, "tm-old", [(0, 600)], status="waiting")
    inbox = Inbox(warehouse)
    # the old parking sensor had moved its cursor past it long ago
    result = tick(SENSOR, instance, warehouse, cursor=str(parked + 100))
    assert requested_ids(result) == [[parked]]
    assert result.run_requests[0].run_key.endswith(":attempt-2")
    assert inbox.row(parked)["status"] == "pending"
    ingest(warehouse, requested_ids(result)[0])
    assert set(milestones(warehouse, "tm-old")) == {50}


def test_a_show_without_capacity_is_refused_with_a_message_naming_it(warehouse, instance):
    inbox = Inbox(warehouse)
    bad = sales_event(warehouse, "tm-nocap", [(0, 5)], capacity=None)
    first = sales_event(warehouse, "tm-ok", [(0, 5)])
    later = sales_event(warehouse, "tm-ok", [(1, 9)], capacity=None)  # capacity came earlier
    result = tick(SENSOR, instance, warehouse, cursor=None)
    assert requested_ids(result) == [[first, later]]
    row = inbox.row(bad)
    assert row["status"] == "dead"
    assert "show 'tm-nocap' has no capacity" in row["error"]


def test_the_migration_releases_events_that_waited_for_it(empty_database_url):
    database.upgrade(empty_database_url, "0020_observation_glitches")
    database.upgrade(empty_database_url, "0005_analytics")
    with psycopg.connect(empty_database_url) as conn:
        conn.execute(
            "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload,"
            " status, error) VALUES ('ticketing', 'ticketing.sales', 'w1', '{}', 'waiting',"
            " 'no job handles ticketing.sales yet'), ('n8n', 'approval.decision', 'w2', '{}',"
            " 'waiting', 'no job')"
        )
    database.upgrade(empty_database_url)
    with psycopg.connect(empty_database_url) as conn:
        rows = conn.execute(
            "SELECT event_type, status, attempts FROM promoteros.webhook_events ORDER BY 1"
        ).fetchall()
    assert rows == [("approval.decision", "waiting", 0), ("ticketing.sales", "pending", 1)]
