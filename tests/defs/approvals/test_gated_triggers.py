"""pipeline.trigger of a job on PROMOTEROS_TRIGGERS_REQUIRING_APPROVAL waits for ops, starts
once after approval, and is closed after a rejection or expiry."""

import pytest
from approvals_support import OPS, hours_ago

from promoteros_pipelines.defs.approvals.lifecycle import expire_due
from promoteros_pipelines.defs.approvals.store import (
    decide,
    get_approval,
    history_of,
    list_approvals,
)
from tests.support.sensor_ticks import tick

TRIGGER = {"assets": ["tracked_artists"]}


@pytest.fixture(autouse=True)
def gated(monkeypatch):
    monkeypatch.setenv("PROMOTEROS_TRIGGERS_REQUIRING_APPROVAL", "daily_digest, tracked_artists")


def the_approval(people):
    (row,) = list_approvals(people, kind="pipeline_trigger")
    return row


def test_a_gated_trigger_runs_once_only_after_approval(people, inbox, instance):
    event = inbox.add("pipeline.trigger", TRIGGER)
    first = tick("pipeline_trigger_events", instance, people)
    assert first.run_requests == []
    approval = the_approval(people)
    assert approval.subject["assets"] == ["tracked_artists"] and approval.status == "pending"
    row = inbox.row(event)
    assert row["status"] == "waiting" and approval.id in row["error"]
    # the next ticks keep it waiting and file nothing twice
    assert tick("pipeline_trigger_events", instance, people, first.cursor).run_requests == []
    assert len(list_approvals(people, kind="pipeline_trigger")) == 1

    decide(people, approval.id, OPS, "approved", reason=None, channel="cli")
    started = tick("pipeline_trigger_events", instance, people, first.cursor)
    (request,) = started.run_requests
    assert request.run_key == f"pipeline.trigger:{event}"
    # a daemon restart re-evaluating the tick asks for the same run key, which Dagster skips
    again = tick("pipeline_trigger_events", instance, people, first.cursor)
    assert [r.run_key for r in again.run_requests] == [request.run_key]
    assert [h["action"] for h in history_of(people, approval.id)].count("released") == 1
    assert get_approval(people, approval.id).released_at is not None


def test_a_rejected_trigger_is_closed_with_the_reason(people, inbox, instance):
    event = inbox.add("pipeline.trigger", TRIGGER)
    first = tick("pipeline_trigger_events", instance, people)
    decide(people, the_approval(people).id, OPS, "rejected", reason="not today", channel="cli")
    assert tick("pipeline_trigger_events", instance, people, first.cursor).run_requests == []
    row = inbox.row(event)
    assert row["status"] == "dead" and "not today" in row["error"] and OPS in row["error"]


def test_an_expired_trigger_is_closed(people, inbox, instance):
    event = inbox.add("pipeline.trigger", TRIGGER)
    first = tick("pipeline_trigger_events", instance, people)
    with people.connect() as conn:
        conn.execute(
            "UPDATE promoteros.approvals SET requested_at = %s, expires_at = %s",
            (hours_ago(5), hours_ago(1)),
        )
    expire_due(people)
    assert tick("pipeline_trigger_events", instance, people, first.cursor).run_requests == []
    row = inbox.row(event)
    assert row["status"] == "dead" and "expired" in row["error"]


def test_triggers_not_on_the_list_run_at_once(people, inbox, instance, monkeypatch):
    monkeypatch.setenv("PROMOTEROS_TRIGGERS_REQUIRING_APPROVAL", "")
    inbox.add("pipeline.trigger", TRIGGER)
    assert len(tick("pipeline_trigger_events", instance, people).run_requests) == 1
    assert list_approvals(people) == []
