"""Booking KPIs read a table another issue adds: counted when it exists, "not connected yet"
with the reason when it is missing or shaped differently. Ticket KPIs read the ticketing
tables (cumulative counts per show: a week's tickets are the counts' rise over the week)."""

import pytest

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import parse_week
from tests.defs.reports.world import MONDAY, WEEK, at, seed_world

WEEK_END = 7


@pytest.fixture
def org_week(warehouse):
    seed_world(warehouse.database_url)
    org = kpis.organisation(warehouse, "northern-lights-live")
    return org, parse_week(WEEK, org.time_zone)


def by_key(tiles) -> dict:
    return {tile.key: tile for tile in tiles}


def test_ticket_tiles_read_the_ticketing_tables_even_before_any_sale(warehouse, org_week):
    org, week = org_week
    tiles = by_key(kpis.ticket_kpis(warehouse, org, week))
    assert tiles["tickets_sold"].connected and tiles["sell_through"].connected
    assert (tiles["tickets_sold"].value, tiles["tickets_sold"].previous) == (0, 0)
    assert tiles["sell_through"].value is None  # no show to play: nothing to divide


def test_existing_tables_are_counted_per_week_and_venue(warehouse, org_week):
    org, week = org_week
    venue = warehouse.read_frame(
        "SELECT venue_id FROM promoteros.venues ORDER BY venue_id LIMIT 1"
    )["venue_id"][0]
    warehouse.execute(
        "CREATE TABLE promoteros.booking_opportunities (organisation_id bigint, venue_id bigint,"
        " created_at timestamptz, status text)"
    )
    for when, status in ((at(1), "accepted"), (at(2), "open"), (at(-3), "accepted")):
        warehouse.execute(
            "INSERT INTO promoteros.booking_opportunities VALUES (%s, %s, %s, %s)",
            (org.organisation_id, venue, when, status),
        )
    for show_id, capacity, show_date in (("s1", 200, WEEK_END + 10), ("s2", 100, WEEK_END + 20)):
        warehouse.execute(
            "INSERT INTO promoteros.shows (show_id, organisation_id, venue_id, capacity,"
            " show_date) VALUES (%s, %s, %s, %s, %s::date + %s)",
            (show_id, org.organisation_id, venue, capacity, MONDAY, show_date),
        )
    # cumulative counts: s1 0 -> 40 last week, 40 -> 150 this week (with a refund dip)
    # s2 sells 10 this week
    for show_id, day, sold in (
        ("s1", -5, 0),
        ("s1", -2, 40),
        ("s1", 1, 160),
        ("s1", 2, 150),
        ("s2", 3, 10),
        ("s1", 9, 190),  # next week: not counted
    ):
        warehouse.execute(
            "INSERT INTO promoteros.ticket_sales (show_id, observed_at, tickets_sold)"
            " VALUES (%s, %s, %s)",
            (show_id, at(day), sold),
        )
    tiles = by_key(kpis.booking_kpis(warehouse, org, week) + kpis.ticket_kpis(warehouse, org, week))
    assert (tiles["bookings_made"].value, tiles["bookings_made"].previous) == (2, 1)
    assert (tiles["bookings_accepted"].value, tiles["bookings_accepted"].previous) == (1, 1)
    assert (tiles["tickets_sold"].value, tiles["tickets_sold"].previous) == (120, 40)
    assert tiles["sell_through"].value == pytest.approx(160 / 300)
    assert tiles["sell_through"].previous == pytest.approx(40 / 300)
    other_venue = by_key(kpis.ticket_kpis(warehouse, org, week, venue + 1000))
    assert other_venue["tickets_sold"].value == 0


def test_tickets_are_the_rise_of_cumulative_counts_per_week_and_venue(warehouse, org_week):
    org, week = org_week
    venue = warehouse.read_frame(
        "SELECT venue_id FROM promoteros.venues ORDER BY venue_id LIMIT 1"
    )["venue_id"][0]
    for show_id, capacity, show_date in (("s1", 200, WEEK_END + 10), ("s2", 100, WEEK_END + 20)):
        warehouse.execute(
            "INSERT INTO promoteros.shows (show_id, organisation_id, venue_id, capacity,"
            " show_date) VALUES (%s, %s, %s, %s, %s::date + %s)",
            (show_id, org.organisation_id, venue, capacity, MONDAY, show_date),
        )
    # s1: 0 -> 40 last week, 40 -> 150 this week (with a refund dip); s2 sells 10 this week
    for show_id, day, sold in (
        ("s1", -5, 0),
        ("s1", -2, 40),
        ("s1", 1, 160),
        ("s1", 2, 150),
        ("s2", 3, 10),
        ("s1", 9, 190),  # next week: not counted
    ):
        warehouse.execute(
            "INSERT INTO promoteros.ticket_sales (show_id, observed_at, tickets_sold)"
            " VALUES (%s, %s, %s)",
            (show_id, at(day), sold),
        )
    tiles = by_key(kpis.ticket_kpis(warehouse, org, week))
    assert (tiles["tickets_sold"].value, tiles["tickets_sold"].previous) == (120, 40)
    assert tiles["sell_through"].value == pytest.approx(160 / 300)
    assert tiles["sell_through"].previous == pytest.approx(40 / 300)
    assert by_key(kpis.ticket_kpis(warehouse, org, week, venue))["tickets_sold"].value == 120
    other_venue = by_key(kpis.ticket_kpis(warehouse, org, week, venue + 1000))
    assert other_venue["tickets_sold"].value == 0
