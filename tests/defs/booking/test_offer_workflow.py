"""The offer after approval: mailed once by real SMTP (aiosmtpd), one follow-up 48 h later on
a simulated clock, never before approval; rejection and expiry close the opportunity."""

import datetime as dt
from collections.abc import Iterator

import pytest
from booking_support import EXEC, MANAGEMENT, VENUE_MANAGER, World, opportunity_of
from booking_support import run_opportunities as run

from promoteros_pipelines.defs.approvals.lifecycle import expire_due
from promoteros_pipelines.defs.approvals.store import decide, get_approval
from promoteros_pipelines.defs.booking.offers import offer_work_due, process_offers
from promoteros_pipelines.resources.mailer import Mailer
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _nova(world: World) -> dict:
    run(world.warehouse)
    return opportunity_of(world.warehouse, world.nova, world.barrowland)


def test_offer_sent_once_after_approval_then_one_follow_up_after_48_hours(
    world: World, smtp: SmtpServer
):
    mailer = Mailer(smtp_url=smtp.url)
    nova = _nova(world)
    now = dt.datetime.now(dt.UTC)

    # before approval nothing goes out, however late it is
    for later in (now, now + dt.timedelta(hours=72)):
        done = process_offers(world.warehouse, mailer, later)
        assert not done.sent and not done.followed_up
    assert smtp.received == []
    assert offer_work_due(world.warehouse, now) is None

    decide(world.warehouse, nova["approval_id"], VENUE_MANAGER, "approved", reason=None,
           channel="cli")  # fmt: skip
    assert offer_work_due(world.warehouse, now) is not None
    assert process_offers(world.warehouse, mailer, now).sent == [nova["id"]]
    assert process_offers(world.warehouse, mailer, now).sent == []  # a second pass: nothing
    (offer,) = smtp.received
    assert offer.recipients == [MANAGEMENT]
    assert offer.message["Subject"].startswith("Offer for Nova Lights at Barrowland")
    attachments = [part.get_filename() for part in offer.message.iter_attachments()]
    assert attachments == [f"offer-{nova['id']}.pdf"]
    sent = opportunity_of(world.warehouse, world.nova, world.barrowland)
    assert sent["status"] == "sent"
    assert sent["follow_up_at"] == sent["sent_at"] + dt.timedelta(hours=48)
    assert get_approval(world.warehouse, nova["approval_id"]).released_at is not None  # type: ignore[union-attr]

    assert process_offers(world.warehouse, mailer, now + dt.timedelta(hours=47)).followed_up == []
    assert len(smtp.received) == 1
    at_49 = now + dt.timedelta(hours=49)
    assert process_offers(world.warehouse, mailer, at_49).followed_up == [nova["id"]]
    assert process_offers(world.warehouse, mailer, now + dt.timedelta(hours=96)).followed_up == []
    assert len(smtp.received) == 2
    assert smtp.received[1].message["Subject"].startswith("Following up: offer for Nova Lights")
    assert opportunity_of(world.warehouse, world.nova, world.barrowland)["status"] == "followed_up"


def test_an_answer_before_48_hours_means_no_follow_up(world: World, smtp: SmtpServer):
    from promoteros_pipelines.defs.booking.opportunity_store import record_response

    mailer = Mailer(smtp_url=smtp.url)
    nova = _nova(world)
    decide(world.warehouse, nova["approval_id"], EXEC, "approved", reason=None, channel="cli")
    now = dt.datetime.now(dt.UTC)
    process_offers(world.warehouse, mailer, now)
    record_response(world.warehouse, nova["id"], "counter", "Could you do 9,000?")
    assert process_offers(world.warehouse, mailer, now + dt.timedelta(hours=50)).followed_up == []
    row = opportunity_of(world.warehouse, world.nova, world.barrowland)
    assert (row["status"], row["response"], row["response_note"]) == (
        "sent", "counter", "Could you do 9,000?",
    )  # fmt: skip
    assert len(smtp.received) == 1


def test_approval_expiry_closes_the_opportunity_as_expired_and_sends_nothing(
    world: World, smtp: SmtpServer
):
    mailer = Mailer(smtp_url=smtp.url)
    nova = _nova(world)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)
    closed = expire_due(world.warehouse, now=later)
    assert [row.id for row in closed] == [nova["approval_id"]]
    done = process_offers(world.warehouse, mailer, later)
    assert [row["id"] for row in done.closed] == [nova["id"]] and not done.sent
    row = opportunity_of(world.warehouse, world.nova, world.barrowland)
    assert row["status"] == "expired"
    assert "nobody decided" in row["status_reason"]
    assert smtp.received == []


def test_a_rejected_offer_closes_the_opportunity_as_declined(world: World, smtp: SmtpServer):
    nova = _nova(world)
    decide(world.warehouse, nova["approval_id"], VENUE_MANAGER, "rejected",
           reason="Too expensive for January", channel="cli")  # fmt: skip
    process_offers(world.warehouse, Mailer(smtp_url=smtp.url))
    row = opportunity_of(world.warehouse, world.nova, world.barrowland)
    assert row["status"] == "declined" and "rejected in its approval" in row["status_reason"]
    assert smtp.received == []


def test_opportunities_past_their_window_expire(world: World, smtp: SmtpServer):
    nova = _nova(world)
    after_window = dt.datetime.combine(
        nova["window_end"] + dt.timedelta(days=1), dt.time(12), dt.UTC
    )
    done = process_offers(world.warehouse, Mailer(smtp_url=smtp.url), after_window)
    assert done.expired_windows == 2  # Nova's and the other Barrowland opportunity
    row = opportunity_of(world.warehouse, world.nova, world.barrowland)
    assert row["status"] == "expired" and "passed without an acceptance" in row["status_reason"]


def test_the_sensor_starts_the_offer_job_once_for_the_same_waiting_work(world: World, instance):
    from tests.support.sensor_ticks import sensor_named, tick

    nova = _nova(world)
    idle = tick("booking_offer_workflow", instance, world.warehouse)
    assert idle.run_requests == [] and "No offer approval was decided" in (idle.skip_message or "")
    decide(world.warehouse, nova["approval_id"], EXEC, "approved", reason=None, channel="cli")
    (first,) = tick("booking_offer_workflow", instance, world.warehouse).run_requests
    (second,) = tick("booking_offer_workflow", instance, world.warehouse).run_requests
    assert sensor_named("booking_offer_workflow").job_name == "booking_offers"
    assert first.run_key == second.run_key  # the same waiting work: the daemon starts one run
