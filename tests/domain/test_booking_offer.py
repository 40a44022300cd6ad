"""Window proposal and the workflow's status rules."""

from datetime import date, timedelta

import pytest

from promoteros_pipelines.domain.booking_offer import (
    EARLIEST_LEAD,
    proposed_window,
    status_after_approval,
    status_after_response,
    wants_offer,
)

TODAY = date(2026, 1, 5)
START = TODAY + EARLIEST_LEAD


def test_window_sits_next_to_a_nearby_tour_date_on_open_days_only():
    tour = START + timedelta(days=20)
    booked = {tour, tour + timedelta(days=2)}
    window = proposed_window(TODAY, booked, [tour])
    assert window is not None
    # the tour date itself is booked: the nearest open day is the day before, and the
    # run stops before the booked days
    assert window.start == tour - timedelta(days=4) and window.end == tour - timedelta(days=1)
    days = {window.start + timedelta(days=n) for n in range((window.end - window.start).days + 1)}
    assert not days & booked
    assert "plays nearby" in window.reason


def test_without_routing_the_first_open_week_after_the_lead_time():
    window = proposed_window(TODAY, {START}, [])
    assert window is not None
    assert (window.start, window.end) == (START + timedelta(days=1), START + timedelta(days=7))


def test_no_open_date_means_no_window():
    every_day = {TODAY + timedelta(days=n) for n in range(400)}
    assert proposed_window(TODAY, every_day, [START]) is None


def test_statuses():
    assert wants_offer(90.1) and not wants_offer(90.0)
    assert status_after_response("accepted") == "accepted"
    assert status_after_response("counter") == ""
    with pytest.raises(ValueError):
        status_after_response("maybe")
    assert status_after_approval("rejected")[0] == "declined"
    assert status_after_approval("expired")[0] == "expired"
    assert status_after_approval("approved") is None
