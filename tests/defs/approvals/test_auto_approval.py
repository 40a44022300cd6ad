"""Auto-approval: a rule-based confidence approves at or above the threshold, up to a daily cap
per organisation, and records the rule and its inputs."""

from approvals_support import ANALYST, ORG

from promoteros_pipelines.defs.approvals.store import (
    get_approval,
    history_of,
    request_approval,
)
from promoteros_pipelines.domain.approvals import OfferEvidence, auto_approves, offer_confidence

STRONG = OfferEvidence(booking_score=90, p10_margin=0.3, shows_with_artist=2)


def file_offer(warehouse, key, confidence, organisation=ORG):
    approval_id, _ = request_approval(
        warehouse,
        kind="booking_offer",
        request_key=key,
        requested_by=ANALYST,
        subject={"artist": "Nova Lights", "venue": "barrowland"},
        organisation=organisation,
        confidence=confidence,
        inputs={"booking_score": 90, "p10_margin": 0.3, "shows_with_artist": 2},
    )
    return approval_id


def test_the_offer_rule_weighs_score_margin_and_history():
    assert offer_confidence(STRONG) == 95.0
    assert offer_confidence(OfferEvidence()) == 0.0
    loss_making = OfferEvidence(booking_score=100, p10_margin=-0.2)
    assert offer_confidence(loss_making) == 50.0
    assert auto_approves("booking_offer", 85.0, approved_today=0)
    assert not auto_approves("booking_offer", 84.9, approved_today=0)
    assert not auto_approves("pipeline_trigger", 100.0, approved_today=0)  # never for triggers


def test_auto_approval_stops_at_the_daily_cap_per_organisation(people):
    confidence = offer_confidence(STRONG)
    ids = [file_offer(people, f"offer-{n}", confidence) for n in range(7)]
    statuses = [get_approval(people, i).status for i in ids]
    assert statuses == ["auto_approved"] * 5 + ["pending"] * 2
    auto = history_of(people, ids[0])[-1]
    assert auto["action"] == "auto_approved" and "rule booking_offer_v1" in auto["detail"]
    assert '"p10_margin": 0.3' in auto["detail"] and "1 of 5 today" in auto["detail"]
    assert "daily cap of 5" in history_of(people, ids[5])[-1]["detail"]
    # another organisation has its own cap
    assert get_approval(people, file_offer(people, "elsewhere", confidence, None)).status == (
        "auto_approved"
    )


def test_a_weak_offer_waits_for_a_person(people):
    approval_id = file_offer(people, "weak", 60.0)
    row = get_approval(people, approval_id)
    assert row.status == "pending" and row.confidence == 60.0
