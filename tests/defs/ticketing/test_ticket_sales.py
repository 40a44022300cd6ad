"""ticket_sales: shows, the sales curve and milestones filed exactly once, on real PostgreSQL."""

import datetime as dt

import pytest
from dagster import materialize

from promoteros_pipelines.defs.ticketing.assets import ticket_sales
from tests.defs.ticketing.ticketing_support import (
    T0,
    ingest,
    milestone_alerts,
    milestones,
    sales_event,
    sql,
    venue_world,
)


@pytest.fixture
def world(warehouse):
    return venue_world(warehouse)


def test_a_show_is_stored_with_its_venue_organisation_and_curve(warehouse, world):
    sql(warehouse, "INSERT INTO promoteros.artists (name, normalized_name) VALUES ('Nova', 'nova')")
    event = sales_event(
        warehouse,
        "tm-1",
        [(0, 100), (1, 250)],
        artist_name="NOVA",
        show_date="2026-12-12",
    )
    metadata = ingest(warehouse, [event])
    show = sql(warehouse, "SELECT * FROM promoteros.shows")[0]
    assert show["organisation_id"] == world["org"] and show["venue_id"] == world["leadmill"]
    assert show["artist_id"] is not None and show["capacity"] == 1000
    assert show["status"] == "on_sale" and show["currency"] == "GBP"
    assert show["show_date"] == dt.date(2026, 12, 12)
    curve = sql(warehouse, "SELECT tickets_sold, gross FROM promoteros.ticket_sales ORDER BY 1")
    assert [(r["tickets_sold"], float(r["gross"])) for r in curve] == [(100, 2000.0), (250, 5000.0)]
    assert metadata["observations_inserted"] == 2 and metadata["milestones_filed"] == 0


def test_a_jump_from_40_to_95_percent_files_50_75_and_90_in_one_alert(warehouse, world):
    ingest(warehouse, [sales_event(warehouse, "tm-1", [(0, 400)])])
    metadata = ingest(warehouse, [sales_event(warehouse, "tm-1", [(1, 950)])])
    assert metadata["milestones_filed"] == 3 and metadata["milestone_alerts_filed"] == 1
    alerts = milestone_alerts(warehouse)
    assert len(alerts) == 1
    assert alerts[0]["subject"] == (
        "Show tm-1 at The Leadmill: 50 %, 75 % and 90 % sold (950 of 1,000)"
    )
    assert alerts[0]["evidence"]["venue_id"] == world["leadmill"]
    assert alerts[0]["evidence"]["milestones"] == [50, 75, 90]
    filed = milestones(warehouse, "tm-1")
    assert set(filed) == {50, 75, 90}
    assert {row["alert_id"] for row in filed.values()} == {alerts[0]["alert_id"]}


def test_49_9_percent_files_nothing_and_50_files_once(warehouse, world):
    ingest(warehouse, [sales_event(warehouse, "tm-2", [(0, 499)], capacity=1000)])
    assert milestones(warehouse, "tm-2") == {} and milestone_alerts(warehouse) == []
    ingest(warehouse, [sales_event(warehouse, "tm-2", [(1, 500)], capacity=None)])
    assert set(milestones(warehouse, "tm-2")) == {50}


def test_out_of_order_and_duplicate_observations_file_each_milestone_once(warehouse, world):
    late = [(5, 800), (2, 600), (9, 1000)]
    first = sales_event(warehouse, "tm-3", late)
    again = sales_event(warehouse, "tm-3", late)  # the same webhook content twice
    early = sales_event(warehouse, "tm-3", [(1, 520), (3, 760)])  # arrives last, happened first
    ingest(warehouse, [first, again])
    ingest(warehouse, [again])
    ingest(warehouse, [early])
    ingest(warehouse, [first, early])
    filed = milestones(warehouse, "tm-3")
    assert set(filed) == {50, 75, 90, 100}
    # reached at the first observation in time at or above it, even one that came late
    assert filed[50]["reached_at"] == T0 + dt.timedelta(hours=1)
    assert filed[75]["reached_at"] == T0 + dt.timedelta(hours=3)
    alerts = milestone_alerts(warehouse)
    assert len(alerts) == 1  # the first batch reached all four at once
    assert alerts[0]["subject"].endswith("50 %, 75 % and 90 % sold, now sold out (1,000 of 1,000)")
    rows = sql(warehouse, "SELECT count(*) AS n FROM promoteros.ticket_sales")
    assert rows[0]["n"] == 5
    assert sql(warehouse, "SELECT status FROM promoteros.shows")[0]["status"] == "sold_out"


def test_a_refund_dip_is_flagged_and_recovery_files_nothing_twice(warehouse, world):
    ingest(warehouse, [sales_event(warehouse, "tm-4", [(0, 760)])])
    ingest(warehouse, [sales_event(warehouse, "tm-4", [(1, 700)])])  # refunds
    ingest(warehouse, [sales_event(warehouse, "tm-4", [(2, 780)])])  # back above 75 %
    assert set(milestones(warehouse, "tm-4")) == {50, 75}
    assert len(milestone_alerts(warehouse)) == 1
    curve = sql(
        warehouse,
        "SELECT tickets_sold, refund, peak_before FROM promoteros.ticket_sales"
        " ORDER BY observed_at",
    )
    assert [(r["tickets_sold"], r["refund"], r["peak_before"]) for r in curve] == [
        (760, False, None),
        (700, True, 760),
        (780, False, 760),
    ]


def test_a_repeated_moment_with_another_count_keeps_the_first(warehouse, world):
    ingest(warehouse, [sales_event(warehouse, "tm-5", [(0, 300)])])
    metadata = ingest(warehouse, [sales_event(warehouse, "tm-5", [(0, 250)])])
    assert metadata["observations_conflicting_kept_first"] == 1
    assert sql(warehouse, "SELECT tickets_sold FROM promoteros.ticket_sales") == [
        {"tickets_sold": 300}
    ]


def test_an_unknown_venue_records_milestones_without_routing_them(warehouse, world):
    metadata = ingest(warehouse, [sales_event(warehouse, "tm-6", [(0, 600)], venue_slug="nowhere")])
    assert metadata["shows_without_venue"] == 1
    assert milestones(warehouse, "tm-6")[50]["alert_id"] is None
    assert milestone_alerts(warehouse) == []


def test_a_batch_whose_show_has_no_capacity_fails_naming_the_show(warehouse, world):
    event = sales_event(warehouse, "tm-none", [(0, 10)], capacity=None)
    config = {"ops": {"ticket_sales": {"config": {"event_ids": [event]}}}}
    result = materialize(
        [ticket_sales], run_config=config, resources={"warehouse": warehouse}, raise_on_error=False
    )
    assert not result.success
    assert sql(warehouse, "SELECT * FROM promoteros.shows") == []
