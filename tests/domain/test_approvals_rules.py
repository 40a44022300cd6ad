"""The approval rules without a database: judge, timeouts, wording."""

from datetime import UTC, datetime, timedelta

import pytest

from promoteros_pipelines.domain.approvals import (
    Approval,
    Decision,
    DecisionRefused,
    Person,
    approvals_summary,
    describe,
    judge,
    timeout_status,
    who_decides,
)

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
PEOPLE = [
    Person("exec@x.example", "Ella Exec", "exec"),
    Person("vm@x.example", "Vic Manager", "venue_manager", "koko"),
    Person("twin1@x.example", "Sam Same", "exec"),
    Person("twin2@x.example", "Sam Same", "exec"),
]


def offer(**changes) -> Approval:
    base = {
        "approval_id": "a" * 22,
        "kind": "booking_offer",
        "status": "pending",
        "requested_by": "analyst@x.example",
        "expires_at": NOW + timedelta(hours=1),
        "required_approvals": 1,
        "venue": "koko",
    }
    return Approval(**{**base, **changes})


def test_a_decider_is_found_by_email_in_any_case_or_by_a_name_only_they_have():
    assert judge(offer(), "EXEC@x.example ", "approved", PEOPLE, NOW).decided_by == (
        "exec@x.example"
    )
    assert judge(offer(), "Vic Manager", "approved", PEOPLE, NOW).decided_by == "vm@x.example"
    with pytest.raises(DecisionRefused, match="not a recipient"):
        judge(offer(), "Sam Same", "approved", PEOPLE, NOW)  # two people share the name


def test_an_approval_at_its_expiry_instant_is_expired():
    with pytest.raises(DecisionRefused, match="expired at 2026-11-30 12:00 UTC"):
        judge(offer(expires_at=NOW), "exec@x.example", "approved", PEOPLE, NOW)


def test_a_venue_manager_of_an_offer_without_venue_may_not_decide():
    with pytest.raises(DecisionRefused, match="own venue"):
        judge(offer(venue=None), "vm@x.example", "approved", PEOPLE, NOW)


def test_the_second_of_two_approvals_approves_and_a_rejection_closes():
    two = offer(required_approvals=2, decisions=[Decision("exec@x.example", "approved")])
    assert judge(two, "vm@x.example", "approved", PEOPLE, NOW).status == "approved"
    assert judge(two, "vm@x.example", "rejected", PEOPLE, NOW).status == "rejected"
    with pytest.raises(DecisionRefused, match="approved or rejected"):
        judge(offer(), "exec@x.example", "maybe", PEOPLE, NOW)


def test_wording_for_people():
    subject = {"artist": "Nova", "venue": "koko", "fee": 12500, "currency": "GBP"}
    assert describe("booking_offer", subject) == "Offer to Nova at koko for GBP 12,500"
    assert describe(
        "pipeline_trigger", {"job": "daily_analytics", "partition_key": "2026-11-29"}
    ) == ("Run daily_analytics (partition 2026-11-29)")
    assert who_decides("booking_offer", subject) == "exec or the venue manager of koko"
    assert who_decides("pipeline_trigger", {}) == "ops"
    assert timeout_status("booking_offer") == "expired"
    one = {"count": 1, "median_hours": 2.0, "auto_share": 1.0, "expired_share": 0.0}
    assert approvals_summary(one).startswith("1 approval decided; median 2.0 hours")
