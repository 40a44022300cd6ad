"""Two racing writers cannot make two live opportunities; the offer PDF shows names as text."""

import datetime as dt
import threading

import psycopg
import pypdfium2
from booking_support import HOSTILE, World, opportunity_of, run_opportunities

from promoteros_pipelines.defs.booking import opportunity_store as store
from promoteros_pipelines.defs.booking.offers import render_offer


def _row(world: World) -> dict:
    today = dt.date.today()
    return {
        "artist_id": world.quiet,
        "venue_id": world.koko,
        "organisation_id": None,
        "score": 88.0,
        "window_start": today + dt.timedelta(days=60),
        "window_end": today + dt.timedelta(days=62),
        "routing": {},
        "projection": {"expected_gross": 1.0},
        "recommendation": {"summary": "race"},
    }


def test_two_racing_runs_cannot_create_two_live_opportunities(world: World):
    url = world.warehouse.database_url
    results: dict[str, store.Filed | None] = {}
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        (second_pid,) = second.execute("SELECT pg_backend_pid()").fetchone()  # type: ignore[misc]
        second.commit()
        results["first"] = store.file_opportunity(first, _row(world))  # inserted, uncommitted

        def race() -> None:
            results["second"] = store.file_opportunity(second, _row(world))
            second.commit()

        racer = threading.Thread(target=race)
        racer.start()
        # the second writer is now blocked on the first's uncommitted row (the live index)
        with psycopg.connect(url, autocommit=True) as watcher:
            while not watcher.execute(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                (second_pid,),
            ).fetchone()[0]:  # type: ignore[index]
                threading.Event().wait(0.05)
        first.commit()
        racer.join()
    first_filed, second_filed = results["first"], results["second"]
    assert first_filed is not None and second_filed is not None
    assert first_filed.created and not second_filed.created
    assert first_filed.opportunity_id == second_filed.opportunity_id
    with world.warehouse.connect() as conn:
        live = conn.execute(
            "SELECT count(*) FROM promoteros.booking_opportunities"
            " WHERE artist_id = %s AND venue_id = %s",
            (world.quiet, world.koko),
        ).fetchone()
    assert live == (1,)


def test_the_database_refuses_a_second_live_row_even_without_on_conflict(world: World):
    row = _row(world)
    with world.warehouse.connect() as conn:
        store.file_opportunity(conn, row)
    try:
        world.warehouse.execute(
            "INSERT INTO promoteros.booking_opportunities (artist_id, venue_id, status, score,"
            " window_start, window_end) VALUES (%s, %s, 'sent', 90, %s, %s)",
            (world.quiet, world.koko, row["window_start"], row["window_end"]),
        )
    except psycopg.errors.UniqueViolation:
        pass
    else:
        raise AssertionError("a second live opportunity was accepted")


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_an_artist_named_like_markup_or_template_code_is_text_in_the_offer_pdf(world: World):
    run_opportunities(world.warehouse)
    hostile = opportunity_of(world.warehouse, world.hostile, world.barrowland)
    opportunity = store.get(world.warehouse, hostile["id"])
    assert opportunity is not None
    text = _pdf_text(render_offer(opportunity))
    assert "<script>alert(1)</script>" in text
    assert "{{7*7}}" in text
    assert "Guarantee" in text and "Rider basics" in text and "Marketing commitments" in text
    assert HOSTILE.split()[0] in text
