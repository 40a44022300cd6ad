"""``approval.decision`` webhooks: parked events are picked up, applied once, refusals dead."""

from approvals_support import ANALYST, EXEC, offer

from promoteros_pipelines.defs.approvals.jobs import approval_decision
from promoteros_pipelines.defs.approvals.store import decisions_of, get_approval
from promoteros_pipelines.defs.inbox.store import mark_waiting
from tests.support.sensor_ticks import tick


def run(request, warehouse):
    return approval_decision.execute_in_process(
        run_config=request.run_config, resources={"warehouse": warehouse}, raise_on_error=False
    )


def test_a_decision_parked_before_this_job_existed_is_applied_once(people, inbox, instance):
    approval_id = offer(people)
    event = inbox.add(
        "approval.decision",
        {"approval_id": approval_id, "decision": "approved", "decided_by": EXEC},
        source="n8n",
    )
    mark_waiting(people, [event], "no job handles approval.decision yet")
    later = tick("approval_decision_events", instance, people, cursor=str(event))
    (request,) = later.run_requests
    assert request.job_name == "approval_decision"
    assert request.run_key == f"approval.decision:{event}"

    assert run(request, people).success
    assert get_approval(people, approval_id).status == "approved"
    (decision,) = decisions_of(people, approval_id)
    assert decision["channel"] == "webhook:n8n" and decision["decided_by"] == EXEC

    # Dagster retrying the run (or the daemon restarting mid-way) applies nothing twice
    again = run(request, people)
    assert again.success
    assert len(decisions_of(people, approval_id)) == 1


def test_a_refused_decision_fails_its_run_without_changing_the_approval(people, inbox, instance):
    approval_id = offer(people)
    event = inbox.add(
        "approval.decision",
        {"approval_id": approval_id, "decision": "approved", "decided_by": ANALYST},
    )
    (request,) = tick("approval_decision_events", instance, people).run_requests
    result = run(request, people)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "approval decision refused" in message and "cannot decide it themselves" in message
    assert get_approval(people, approval_id).status == "pending"
    assert decisions_of(people, approval_id) == []
    assert event


def test_an_invalid_payload_is_marked_dead_with_the_reason(people, inbox, instance):
    event = inbox.add("approval.decision", {"approval_id": "x", "decision": "maybe"})
    result = tick("approval_decision_events", instance, people)
    assert result.run_requests == []
    row = inbox.row(event)
    assert row["status"] == "dead" and "decision" in row["error"]
