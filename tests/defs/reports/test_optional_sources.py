"""Booking KPIs read ``booking_opportunities`` (recommendations made, accepted, expected
gross): "not connected yet" with the reason when a table is missing or shaped differently.
Ticket KPIs read the ticketing tables (cumulative counts per show: a week's tickets are the
counts' rise over the week)."""

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


def test_a_missing_booking_table_gives_not_connected_tiles_with_the_reason(warehouse, org_week):
    org, week = org_week
    warehouse.execute("DROP TABLE promoteros.booking_opportunities CASCADE")
    tiles = by_key(kpis.booking_kpis(warehouse, org, week))
    assert set(tiles) == {"bookings_made", "bookings_accepted", "bookings_expected_gross"}
    assert not any(tile.connected for tile in tiles.values())
    assert "booking_opportunities is not built yet" in tiles["bookings_made"].note


def test_booking_recommendations_are_counted_per_week(warehouse, org_week):
    org, week = org_week
    venue = warehouse.read_frame(
        "SELECT venue_id FROM promoteros.venues ORDER BY venue_id LIMIT 1"
    )["venue_id"][0]
    artists = warehouse.read_frame(
        "SELECT artist_id FROM promoteros.artists ORDER BY artist_id LIMIT 3"
    )["artist_id"].to_list()
    # made this week: 2 (one accepted this week), last week: 1 (accepted last week)
    for artist, when, status, gross in (
        (artists[0], at(1), "accepted", 30000.0),
        (artists[1], at(2), "new", 12500.0),
        (artists[2], at(-3), "accepted", 8000.0),
    ):
        warehouse.execute(
            "INSERT INTO promoteros.booking_opportunities (artist_id, venue_id, organisation_id,"
            " status, score, window_start, window_end, projection, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, 85, %s::date, %s::date,"
            " jsonb_build_object('expected_gross', %s::float8), %s, %s)",
            (artist, venue, org.organisation_id, status, MONDAY, MONDAY, gross, when, when),
        )
    tiles = by_key(kpis.booking_kpis(warehouse, org, week))
    assert (tiles["bookings_made"].value, tiles["bookings_made"].previous) == (2, 1)
    assert (tiles["bookings_accepted"].value, tiles["bookings_accepted"].previous) == (1, 1)
    gross = tiles["bookings_expected_gross"]
    assert (gross.value, gross.previous) == (42500, 8000)
    assert gross.label == f"Expected gross of new recommendations ({org.currency})"


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
