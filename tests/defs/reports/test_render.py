"""Rendering: nothing fetched from outside the package, data always shown as text, and the
KPI tiles on page 1 equal what the database says."""

import http.server
import threading
from collections.abc import Iterator

import pytest

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import BadPeriod, parse_week
from promoteros_pipelines.defs.reports.weekly import RunStats, render_weekly_set
from promoteros_pipelines.domain.report_kpis import NOT_CONNECTED
from promoteros_pipelines.rendering.render import PackageOnlyFetcher, html_to_pdf, render_html
from tests.defs.reports.pdf_text import pages, tile_value
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
    reports = render_weekly_set(warehouse, org, week, runs)

    assert [r.role for r in reports] == ["executive", "ops", "venue", "venue"]
    executive = pages(reports[0].pdf)
    assert 2 <= len(executive) <= 3
    page_one = executive[0]
    for label, value in _expected_from_database(warehouse, week).items():
        assert tile_value(page_one, label) == value, label
    assert tile_value(page_one, "New artists tracked") == str(expected_world.new_artists)
    assert tile_value(page_one, "Pipeline success rate") == "75%"
    assert tile_value(page_one, "Tickets sold") == NOT_CONNECTED
    assert tile_value(page_one, "Booking recommendations made") == NOT_CONNECTED

    ops_text = "".join("".join(pages(reports[1].pdf)).split())
    assert "<script>alert(1)</script>" in ops_text
    assert "{{7*7}}" in ops_text
    assert "49" not in ops_text
    assert "Bcc:victim@example.com" in ops_text  # CR/LF flattened to one line of text
