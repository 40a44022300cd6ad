"""The approval rules against a real warehouse: who may decide, how many, and refusals that
change nothing."""

from datetime import timedelta

import pytest
from approvals_support import (
    ANALYST,
    EXEC,
    EXEC_2,
    OPS,
    OTHER_VENUE_MANAGER,
    VENUE_MANAGER,
    hours_ago,
    offer,
)

from promoteros_pipelines.defs.approvals.lifecycle import expire_due
from promoteros_pipelines.defs.approvals.store import (
    decide,
    decisions_of,
    get_approval,
    history_of,
    request_approval,
)
from promoteros_pipelines.domain import approvals as rules
from promoteros_pipelines.domain.approvals import DecisionRefused


def snapshot(warehouse, approval_id):
    return get_approval(warehouse, approval_id), decisions_of(warehouse, approval_id)


def test_an_offer_approved_by_the_venue_manager_keeps_who_when_why_and_the_channel(people):
    approval_id = offer(people)
    outcome = decide(people, approval_id, VENUE_MANAGER, "approved", reason="fits", channel="cli")
    assert outcome.status == "approved"
    row = get_approval(people, approval_id)
    assert row.status == "approved" and row.decided_at is not None
    (decision,) = decisions_of(people, approval_id)
    assert decision["decided_by"] == VENUE_MANAGER and decision["channel"] == "cli"
    assert decision["reason"] == "fits"
    assert [h["action"] for h in history_of(people, approval_id)] == ["requested", "approved"]


def test_filing_the_same_request_twice_is_one_approval(people):
    assert offer(people, "offer-7") == offer(people, "offer-7")
    ids = {offer(people, f"offer-{n}") for n in range(50)}
    # opaque, unguessable (128 bits), never read as a command-line option
    assert all(len(i) == 32 and i.isalnum() for i in ids) and len(ids) == 50


@pytest.mark.parametrize(
    ("who", "why"),
    [
        (ANALYST, "cannot decide it themselves"),  # the requester
        ("Priya Raman", "cannot decide it themselves"),  # the requester, by name
        (OPS, "only exec or venue_manager may decide booking_offer"),  # role not in policy
        (OTHER_VENUE_MANAGER, "venue managers only for their own venue"),
        ("stranger@elsewhere.example", "is not a recipient of this organisation"),
    ],
)
def test_refused_deciders_change_nothing(people, who, why):
    approval_id = offer(people)
    before = snapshot(people, approval_id)
    with pytest.raises(DecisionRefused, match=why):
        decide(people, approval_id, who, "approved", reason=None, channel="cli")
    assert snapshot(people, approval_id) == before


def test_a_viewer_role_cannot_decide_a_pipeline_trigger_but_ops_can(people):
    approval_id, _ = request_approval(
        people,
        kind="pipeline_trigger",
        request_key="trigger:1",
        requested_by="n8n",
        subject={"job": "daily_analytics"},
    )
    with pytest.raises(DecisionRefused, match="only ops may decide"):
        decide(people, approval_id, EXEC, "approved", reason=None, channel="cli")
    assert decide(people, approval_id, OPS, "approved", reason=None, channel="cli").status == (
        "approved"
    )


def test_two_approver_policy_needs_two_distinct_people(people, monkeypatch):
    policy = rules.POLICIES["booking_offer"]
    monkeypatch.setitem(
        rules.POLICIES,
        "booking_offer",
        rules.Policy(**{**policy.__dict__, "required_approvals": 2}),
    )
    approval_id = offer(people)
    first = decide(people, approval_id, EXEC, "approved", reason=None, channel="cli")
    assert (first.status, first.approvals_so_far, first.required_approvals) == ("pending", 1, 2)
    with pytest.raises(DecisionRefused, match="has already decided"):
        decide(people, approval_id, EXEC.upper(), "approved", reason=None, channel="cli")
    second = decide(people, approval_id, EXEC_2, "approved", reason=None, channel="webhook:n8n")
    assert second.status == "approved"
    assert get_approval(people, approval_id).status == "approved"
    assert {d["decided_by"] for d in decisions_of(people, approval_id)} == {EXEC, EXEC_2}


def test_one_rejection_closes_it_and_a_rejection_needs_a_reason(people):
    approval_id = offer(people)
    with pytest.raises(DecisionRefused, match="needs a reason"):
        decide(people, approval_id, EXEC, "rejected", reason="  ", channel="cli")
    assert decide(
        people, approval_id, EXEC, "rejected", reason="too dear", channel="cli"
    ).status == ("rejected")


def test_decided_expired_and_unknown_approvals_are_refused_with_a_clear_error(people):
    decided = offer(people, "decided")
    decide(people, decided, EXEC, "approved", reason=None, channel="cli")
    with pytest.raises(DecisionRefused, match="is already approved"):
        decide(people, decided, EXEC_2, "rejected", reason="late", channel="cli")

    stale = offer(people, "stale", now=hours_ago(49))
    before = snapshot(people, stale)
    with pytest.raises(DecisionRefused, match="expired at"):
        decide(people, stale, EXEC, "approved", reason=None, channel="cli")
    assert snapshot(people, stale) == before

    with pytest.raises(DecisionRefused, match="there is no approval 'nope'"):
        decide(people, "nope", EXEC, "approved", reason=None, channel="cli")


def test_timeout_rejects_by_default_and_is_recorded(people):
    stale = offer(people, "stale", now=hours_ago(49))
    fresh = offer(people, "fresh")
    closed = expire_due(people)
    assert [row.id for row in closed] == [stale]
    assert get_approval(people, stale).status == "expired"
    assert get_approval(people, fresh).status == "pending"
    assert history_of(people, stale)[-1]["action"] == "timed_out"
    assert expire_due(people) == []  # closed once


def test_a_kind_may_approve_on_timeout_when_its_policy_says_so(people, monkeypatch):
    policy = rules.POLICIES["booking_offer"]
    monkeypatch.setitem(
        rules.POLICIES,
        "booking_offer",
        rules.Policy(**{**policy.__dict__, "on_timeout": "approve"}),
    )
    stale = offer(people, "stale", now=hours_ago(49))
    expire_due(people)
    assert get_approval(people, stale).status == "approved"


def test_bulk_approve_of_a_hundred(people):
    ids = [offer(people, f"offer-{n}") for n in range(100)]
    for approval_id in ids:
        decide(people, approval_id, EXEC, "approved", reason=None, channel="cli")
    assert {get_approval(people, i).status for i in ids} == {"approved"}
    assert timedelta(hours=48) == rules.POLICIES["booking_offer"].lifetime
