"""``booking.response`` webhooks: the artist's management answered an offer.

Each event becomes one ``booking_response`` run that records the answer on its opportunity
(``accepted`` / ``declined`` close it, ``counter`` keeps it open with the note). The ingress
already refused answers to unknown opportunities with 422; one deleted since, or an answer
to an opportunity already closed, fails its run without retries, so the event goes ``dead``
with a sentence saying why (``promoteros events show ID``).
"""

from typing import Any

from dagster import Config, Failure, OpExecutionContext, Output, job, op
from pydantic import Field

from promoteros_pipelines.defs.booking import opportunity_store as store
from promoteros_pipelines.defs.inbox.single_events import (
    EventRoute,
    build_single_event_sensor,
    payload_as_op_config,
)
from promoteros_pipelines.events import BookingResponse
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

EVENT_TYPE = "booking.response"


class BookingResponseConfig(Config):
    event_id: int = Field(description="webhook_events.event_id of the booking.response")
    response: dict[str, Any] = Field(description="The booking.response payload")


@op(
    name="record_booking_response",
    description="Records one booking.response on its opportunity; an unknown or closed "
    "opportunity fails without retries and changes nothing.",
    tags={"kind": "booking"},
)
def record_booking_response(
    context: OpExecutionContext, config: BookingResponseConfig, warehouse: PostgresWarehouse
) -> Output[None]:
    answer = BookingResponse.model_validate(config.response)
    try:
        row = store.record_response(warehouse, answer.opportunity_id, answer.response, answer.note)
    except (store.UnknownOpportunity, store.ResponseRefused) as refused:
        raise Failure(
            description=f"booking response refused: {refused}", allow_retries=False
        ) from None
    context.log.info("Opportunity %d: %s (status %s)", row["id"], row["response"], row["status"])
    return Output(
        None,
        metadata={
            "opportunity_id": row["id"],
            "response": row["response"],
            "status": row["status"],
            "event_id": config.event_id,
        },
    )


@job(
    name="booking_response",
    description="One booking.response webhook (the artist's answer to an offer) recorded on "
    "its opportunity.",
)
def booking_response() -> None:
    record_booking_response()


response_run_config = payload_as_op_config(EVENT_TYPE, "record_booking_response", "response")

booking_response_events = build_single_event_sensor(
    EventRoute(
        EVENT_TYPE,
        booking_response.name,
        response_run_config,
    ),
    booking_response,
)
