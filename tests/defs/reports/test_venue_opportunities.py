"""The venue manager's weekly PDF lists that venue's open booking opportunities (and only
that venue's), with names as text."""

import datetime as dt
import json

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import parse_week
from promoteros_pipelines.defs.reports.weekly import RunStats, render_weekly_set
from tests.defs.reports.pdf_text import between, flat, pages, tile_value
from tests.defs.reports.world import WEEK, at, seed_world

PROJECTION = {
    "expected_gross": 28500.0,
    "break_even_attendance": 458,
    "scenarios": {"p50": {"attendance": 1140}},
    "fee": {"guarantee_low": 1300, "guarantee_high": 1900},
}


def test_the_venue_pdf_lists_its_top_opportunities(warehouse):
    seed_world(warehouse.database_url)
    org = kpis.organisation(warehouse, "northern-lights-live")
    venues = warehouse.read_frame(
        "SELECT venue_id, slug FROM promoteros.venues WHERE organisation_id = $1 ORDER BY venue_id",
        [org.organisation_id],
    )
    first, second = venues["venue_id"].to_list()[:2]
    with warehouse.connect() as conn:
        (artist,) = conn.execute(
            "INSERT INTO promoteros.artists (name, normalized_name)"
            " VALUES ('<b>Nova</b> {{7*7}}', 'nova') RETURNING artist_id"
        ).fetchone()  # type: ignore[misc]
        for venue, score, status in ((first, 93, "pending_approval"), (second, 81, "new")):
            conn.execute(
                "INSERT INTO promoteros.booking_opportunities (artist_id, venue_id,"
                " organisation_id, status, score, window_start, window_end, projection,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    artist, venue, org.organisation_id, status, score,
                    dt.date(2027, 1, 26), dt.date(2027, 2, 1), json.dumps(PROJECTION), at(1),
                ),
            )  # fmt: skip
    week = parse_week(WEEK, org.time_zone)
    reports = render_weekly_set(warehouse, org, week, RunStats())
    venue_pdfs = {r.venue_id: r.pdf for r in reports if r.role == "venue"}
    text = flat(pages(venue_pdfs[first]))
    section = between(text, "Booking opportunities at", "Artists to watch")
    assert "<b>Nova</b> {{7*7}}" in section
    for shown in ("93", "26 Jan to 01 Feb 2027", "1,140", "28,500", "1,300-1,900", "458"):
        assert shown in section, shown
    assert "pending approval" in section
    assert tile_value(pages(venue_pdfs[first])[0], "Booking recommendations made") == "1"
    other = between(flat(pages(venue_pdfs[second])), "Booking opportunities at", "Artists to")
    assert "81" in other and "93" not in other
    executive = next(r for r in reports if r.role == "executive")
    assert tile_value(pages(executive.pdf)[0], "Booking recommendations made") == "2"
    assert tile_value(pages(executive.pdf)[0], "Expected gross of new recommendations (GBP)") == (
        "57,000"
    )
