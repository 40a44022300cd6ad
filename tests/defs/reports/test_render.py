"""Rendering: nothing fetched from outside the package, data always shown as text, and the
KPI tiles on page 1 equal what the database says."""

import datetime as dt
import http.server
import threading
from collections.abc import Iterator

import pytest

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import BadPeriod, parse_week
from promoteros_pipelines.defs.reports.weekly import RunStats, render_weekly_set
from promoteros_pipelines.domain.report_kpis import NOT_CONNECTED
from promoteros_pipelines.rendering.render import PackageOnlyFetcher, html_to_pdf, render_html
from tests.defs.reports.pdf_text import between, flat, pages, tile_value
from tests.defs.reports.world import HOSTILE_NAMES, WEEK, seed_world


class CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        CountingHandler.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    CountingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_external_resources_are_never_fetched(http_server, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    html = f"""<html><head>
      <link rel="stylesheet" href="report.css">
      <link rel="stylesheet" href="{http_server}/style.css">
      <link rel="stylesheet" href="{secret.as_uri()}">
      <style>@import url("{http_server}/imported.css");
             body {{ background: url("{http_server}/bg.png") }}</style>
      </head><body><h1>Report</h1>
      <img src="{http_server}/logo.png"><img src="https://127.0.0.1:1/x.png">
      <img src="file:///etc/passwd"><img src="../../../../etc/hostname">
      </body></html>"""
    fetcher = PackageOnlyFetcher()
    pdf = html_to_pdf(html, fetcher)

    assert pdf.startswith(b"%PDF")
    assert CountingHandler.requests == []
    refused = " ".join(fetcher.refused)
    for url in (
        f"{http_server}/logo.png",
        f"{http_server}/style.css",
        secret.as_uri(),
        "file:///etc/passwd",
        "/etc/hostname",
    ):
        assert url in refused
    assert "report.css" not in refused  # the package's own stylesheet is allowed


def test_template_data_is_escaped_and_never_evaluated():
    html = render_html("_macros.html.j2", {}) + render_html(
        "base.html.j2", {"document_title": HOSTILE_NAMES[0] + HOSTILE_NAMES[1]}
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{7*7}}" in html and "49" not in html


def test_undefined_names_fail_loudly():
    with pytest.raises(Exception, match="document_title"):
        render_html("base.html.j2", {})


def test_weeks_are_validated():
    assert parse_week("2026-W47").monday.isoformat() == "2026-11-16"
    for bad in ("2026-47", "W47", "2026-W54", "2026-W00"):
        with pytest.raises(BadPeriod):
            parse_week(bad)


def _expected_from_database(warehouse, week) -> dict[str, str]:
    def count(table: str, column: str, period) -> int:
        return warehouse.read_frame(
            f"SELECT count(*) AS n FROM promoteros.{table} WHERE {column} >= $1 AND {column} < $2",
            [period.start, period.end],
        )["n"][0]

    calls, kept = kpis.prediction_calls(warehouse, week)
    return {
        "New artists tracked": str(count("artists", "first_seen_at", week)),
        "Viral events found": str(count("viral_events", "detected_at", week)),
        "Prediction accuracy (last month's calls)": f"{kept / calls * 100:.0f}%",
    }


def test_page_one_kpis_match_the_database_and_hostile_names_are_text(warehouse):
    expected_world = seed_world(warehouse.database_url)
    org = kpis.organisation(warehouse, "northern-lights-live")
    week = parse_week(WEEK, org.time_zone)
    runs = RunStats([("a", "SUCCESS")] * 3 + [("b", "FAILURE")], [("a", "SUCCESS")])
    asked = week.start + dt.timedelta(days=1)
    warehouse.execute(
        "INSERT INTO promoteros.approvals (id, kind, request_key, organisation, requested_by,"
        " requested_at, expires_at, status, policy, decided_at)"
        " VALUES ('approval-in-week-47', 'booking_offer', 'k', %s, 'x@example.com', %s, %s,"
        " 'approved', 'booking_offer_v1', %s)",
        (org.slug, asked, asked + dt.timedelta(days=2), asked + dt.timedelta(hours=3)),
    )
    reports = render_weekly_set(warehouse, org, week, runs)

    assert [r.role for r in reports] == ["executive", "ops", "venue", "venue"]
    executive = pages(reports[0].pdf)
    assert len(executive) == 2  # the week at a glance; ticket sales by venue and the rest
    page_one = executive[0]
    for label, value in _expected_from_database(warehouse, week).items():
        assert tile_value(page_one, label) == value, label
    assert tile_value(page_one, "New artists tracked") == str(expected_world.new_artists)
    assert tile_value(page_one, "Pipeline success rate") == "75%"
    # booking and tickets are live: tiles with numbers, no "not connected" line
    assert NOT_CONNECTED.capitalize() not in flat(page_one)
    assert tile_value(page_one, "Booking recommendations made") == "0"
    assert tile_value(page_one, "Booking recommendations accepted") == "0"
    assert tile_value(page_one, "Tickets sold") == "0"
    # the brief counts in words, singular and plural, and names the strongest event's artist
    brief = between(page_one, "The week in brief", "This week at a glance")
    assert "5 new artists tracked (4 the week before)." in brief
    assert "2 viral events this week; the strongest: <script>alert(1)</script>," in brief
    assert "4 pipeline runs finished this week; 1 failed." in brief
    assert "2 of 3 confirmed viral calls kept growing" in flat(page_one)
    for report in reports:
        text = flat(pages(report.pdf))
        assert "n/a" not in text and "robust" not in text, report.filename

    assert (
        "Approvals 1 approval decided; median 3.0 hours from request to decision; "
        "0% auto-approved; 0% expired without a decision."
    ) in flat(pages(reports[1].pdf))
    ops_text = "".join("".join(pages(reports[1].pdf)).split())
    assert "<script>alert(1)</script>" in ops_text
    assert "{{7*7}}" in ops_text  # shown as written, not evaluated to 49 (run ids may hold "49")
    assert "Bcc:victim@example.com" in ops_text  # CR/LF flattened to one line of text


def test_a_venue_sees_the_artists_whose_genres_are_kinds_of_its_own(warehouse):
    seed_world(warehouse.database_url)
    org = kpis.organisation(warehouse, "northern-lights-live")
    reports = render_weekly_set(warehouse, org, parse_week(WEEK, org.time_zone), RunStats())
    venue = {r.venue_slug: pages(r.pdf) for r in reports if r.role == "venue"}

    # Venue 1 says only "electronic"; its artists say techno, Dark Techno, house
    electronic = between(venue["venue-1"], "Artists to watch for Venue 1", "Momentum in")
    for name, fit in (
        ("Last Week 0", "techno (electronic)"),
        ("Last Week 1", "dark techno (electronic)"),
        ("Last Week 2", "house (electronic)"),
    ):
        assert f"{name} " in electronic and fit in electronic, name
    assert "Last Week 3" not in electronic  # jazz does not fit an electronic room
    assert "Quiet Harbour" not in electronic  # nor does indie
    assert "Last Week 0" in between(venue["venue-1"], "Momentum in")  # the chart too

    indie = between(venue["venue-0"], "Artists to watch for Venue 0", "Momentum in")
    assert "Quiet Harbour" in indie and "<script>alert(1)</script>" in unwrapped(indie)
    assert "Last Week" not in indie
    # the week's viral events both involve indie artists: Venue 0's, not Venue 1's
    events = between(venue["venue-0"], "Viral events this week")
    assert "<script>alert(1)</script>" in unwrapped(events)
    assert "2 other viral events this week were outside Venue 1's genres." in flat(venue["venue-1"])


def unwrapped(text: str) -> str:
    """Text with every space removed: table cells wrap long names anywhere."""
    return "".join(text.split())


def test_no_page_is_blank(warehouse):
    seed_world(warehouse.database_url)
    org = kpis.organisation(warehouse, "northern-lights-live")
    runs = RunStats([("a", "SUCCESS")], [])
    for report in render_weekly_set(warehouse, org, parse_week(WEEK, org.time_zone), runs):
        for number, text in enumerate(pages(report.pdf), start=1):
            body = flat(text).replace("Northern Lights Live · Week 2026-W47", "")
            assert len(body) > 200, f"{report.filename} page {number} is nearly empty: {body}"
