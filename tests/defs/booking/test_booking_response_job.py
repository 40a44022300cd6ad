"""The booking.response job records the answer; a closed or unknown opportunity fails it
without retries and changes nothing."""

import pytest
from booking_support import World, opportunity_of, run_opportunities
from dagster import Failure, build_op_context

from promoteros_pipelines.defs.booking.responses import (
    BookingResponseConfig,
    record_booking_response,
    response_run_config,
)
from promoteros_pipelines.defs.inbox.single_events import PayloadRefused
from promoteros_pipelines.defs.inbox.store import InboxEvent


def _apply(world: World, payload: dict) -> None:
    record_booking_response(
        build_op_context(),
        BookingResponseConfig(event_id=1, response=payload),
        world.warehouse,
    )


def test_accepted_closes_the_opportunity_and_a_later_decline_is_refused(world: World):
    run_opportunities(world.warehouse)
    opportunity = opportunity_of(world.warehouse, world.hostile, world.barrowland)
    _apply(world, {"opportunity_id": opportunity["id"], "response": "accepted", "note": "Yes!"})
    row = opportunity_of(world.warehouse, world.hostile, world.barrowland)
    assert (row["status"], row["response"], row["response_note"]) == (
        "accepted",
        "accepted",
        "Yes!",
    )
    _apply(world, {"opportunity_id": opportunity["id"], "response": "accepted"})  # replay: no-op
    with pytest.raises(Failure, match="already accepted"):
        _apply(world, {"opportunity_id": opportunity["id"], "response": "declined"})
    assert opportunity_of(world.warehouse, world.hostile, world.barrowland)["status"] == "accepted"


def test_an_unknown_opportunity_fails_with_its_id(world: World):
    with pytest.raises(Failure, match="no booking opportunity 424242"):
        _apply(world, {"opportunity_id": 424242, "response": "declined"})


def test_an_invalid_stored_payload_is_refused_before_a_run():
    event = InboxEvent(
        7, "booking.response", "pending", 0, {"opportunity_id": 1, "response": "yes"}
    )
    with pytest.raises(PayloadRefused, match=r"booking\.response payload is invalid"):
        response_run_config(event)


def test_a_webhook_event_becomes_one_run_that_records_the_answer(world: World, inbox, instance):
    from promoteros_pipelines.defs.booking.responses import booking_response
    from tests.support.sensor_ticks import tick

    run_opportunities(world.warehouse)
    opportunity = opportunity_of(world.warehouse, world.nova, world.barrowland)
    event = inbox.add(
        "booking.response",
        {"opportunity_id": opportunity["id"], "response": "counter", "note": "Two nights?"},
    )
    (request,) = tick("booking_response_events", instance, world.warehouse).run_requests
    assert request.job_name == "booking_response"
    assert request.run_key == f"booking.response:{event}"
    result = booking_response.execute_in_process(
        run_config=request.run_config, resources={"warehouse": world.warehouse}
    )
    assert result.success
    row = opportunity_of(world.warehouse, world.nova, world.barrowland)
    assert (row["status"], row["response"], row["response_note"]) == (
        "pending_approval",
        "counter",
        "Two nights?",
    )
