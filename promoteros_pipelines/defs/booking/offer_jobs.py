"""The offer workflow's job and the sensor that starts it when there is work.

``booking_offers`` runs ``offers.process_offers``: it sends approved offers (once), the one
follow-up 48 h later, and closes opportunities whose approval was rejected or expired or
whose window passed. The sensor starts it only when such work waits; the run key is a
fingerprint of that work, so the same waiting work starts one run, and the claims inside
are conditional updates, so even overlapping runs send each mail once.
"""

import hashlib

from dagster import (
    DefaultSensorStatus,
    OpExecutionContext,
    Output,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    job,
    op,
    sensor,
)

from promoteros_pipelines.defs.booking.offers import offer_work_due, process_offers
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


@op(
    name="send_and_close_booking_offers",
    description="Mails approved booking offers to the artist's management (once), sends the "
    "one follow-up 48 hours later, and closes offers whose approval was rejected or expired "
    "and opportunities whose window passed.",
    tags={"kind": "booking"},
)
def send_and_close_booking_offers(
    context: OpExecutionContext, warehouse: PostgresWarehouse, mailer: Mailer
) -> Output[None]:
    done = process_offers(warehouse, mailer)
    for problem in [*done.failed, *done.missing_contact]:
        context.log.warning(problem)
    context.log.info(
        "%d offers sent, %d follow-ups, %d closed after their approval, %d past their window",
        len(done.sent), len(done.followed_up), len(done.closed), done.expired_windows,
    )  # fmt: skip
    return Output(
        None,
        metadata={
            "offers_sent": len(done.sent),
            "follow_ups_sent": len(done.followed_up),
            "closed_after_approval": "; ".join(
                f"{row['id']}: {row['status']} ({row['status_reason']})" for row in done.closed
            ),
            "expired_past_window": done.expired_windows,
            "mail_failures": "; ".join(done.failed),
            "waiting_for_a_management_contact": "; ".join(done.missing_contact),
        },
    )


@job(
    name="booking_offers",
    description="Sends approved booking offers and their follow-ups, and closes the ones "
    "rejected, expired or past their window.",
)
def booking_offers() -> None:
    send_and_close_booking_offers()


@sensor(
    name="booking_offer_workflow",
    job=booking_offers,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Each minute: when an offer's approval was decided, a follow-up is due or an "
    "opportunity's window passed, starts booking_offers (once for the same waiting work).",
)
def booking_offer_workflow(
    context: SensorEvaluationContext, warehouse: PostgresWarehouse
) -> RunRequest | SkipReason:
    fingerprint = offer_work_due(warehouse)
    if fingerprint is None:
        return SkipReason(
            "No offer approval was decided, no follow-up is due and no window has passed."
        )
    key = hashlib.sha256(fingerprint.encode()).hexdigest()[:20]
    return RunRequest(run_key=f"booking-offers-{key}")
