"""Report rendering of arbitrary artist names (hypothesis): the weekly report renderer takes
whatever names the warehouse holds (markup, template syntax, mathtext dollars, control
characters, any script) and always produces readable PDFs in which a name is text, shown as
it was given, never evaluated. Slow (a few PDFs per example), so it runs with ``make chaos``."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import parse_week
from promoteros_pipelines.defs.reports.weekly import RunStats, render_weekly_set
from tests.defs.reports.pdf_text import pages
from tests.defs.reports.world import WEEK, seed_world

pytestmark = pytest.mark.chaos
SLOW = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# what PostgreSQL text can hold: any character but NUL and lone surrogates
any_name = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=60,
)
# Latin text with every character that means something to HTML, Jinja, matplotlib or a
# spreadsheet: these must come back out of the PDF exactly
LATIN = "abcXYZ019 éüßøÅ<>&\"'{}%$#\\=+-@_~^|!?*()[];:,./"
latin_name = st.text(alphabet=LATIN, min_size=1, max_size=30).filter(lambda s: s.strip())


def _this_weeks_artists(warehouse) -> list[int]:
    frame = warehouse.read_frame(
        "SELECT artist_id FROM promoteros.artists WHERE first_seen_at >= $1 ORDER BY artist_id",
        [parse_week(WEEK).start],
    )
    return frame["artist_id"].to_list()


def _render(warehouse, names: list[str], artist_ids: list[int]):
    with warehouse.connect() as conn:
        for artist_id, name in zip(artist_ids, names, strict=False):
            conn.execute(
                "UPDATE promoteros.artists SET name = %s, normalized_name = lower(%s)"
                " WHERE artist_id = %s",
                (name, name, artist_id),
            )
    org = kpis.organisation(warehouse, "northern-lights-live")
    runs = RunStats([("a", "SUCCESS")], [])
    return render_weekly_set(warehouse, org, parse_week(WEEK, org.time_zone), runs, workers=1)


@pytest.fixture
def world(warehouse):
    seed_world(warehouse.database_url, venues=1)
    return warehouse, _this_weeks_artists(warehouse)


@SLOW
@given(names=st.lists(any_name, min_size=5, max_size=5))
def test_any_names_render_to_readable_pdfs(world, names) -> None:
    warehouse, artist_ids = world
    reports = _render(warehouse, names, artist_ids)

    assert [report.role for report in reports] == ["executive", "ops", "venue"]
    for report in reports:
        assert report.pdf.startswith(b"%PDF")
        assert pages(report.pdf), f"{report.role} has no readable page"


@SLOW
@given(names=st.lists(latin_name, min_size=5, max_size=5, unique=True))
def test_names_come_out_of_the_pdf_exactly_as_given(world, names) -> None:
    warehouse, artist_ids = world
    reports = _render(warehouse, names, artist_ids)

    ops_text = "".join("".join(pages(reports[1].pdf)).split())
    for name in names:
        assert "".join(name.split()) in ops_text, f"{name!r} not shown as given"
