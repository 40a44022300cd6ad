"""Stranded events: a run that never started, a status sensor tick that was lost, a run that
vanished, a retry that never came. Each ends filed from what its run really did, without a
person (the ``stranded_events`` sweep), or by a replay that now accepts them."""

import time

import pytest
from dagster import DagsterEventType
from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.test_utils import create_run_for_test

from promoteros_pipelines.defs.inbox.store import ReplayRefused, replay_event
from promoteros_pipelines.defs.inbox.sweep import sweep
from tests.defs.inbox.test_run_status_sensors import (
    WATCH,
    Daemon,
    queued,
    report,
    start_run,
)
from tests.support.sensor_ticks import tick


def test_a_run_failed_by_the_monitor_before_it_started_is_retried_to_done(
    inbox, instance, warehouse
):
    """The daemon died mid-launch: the run stayed STARTING until run monitoring failed it.
    The status sensors treat that like any failure, and the retry finishes the event."""
    daemon = Daemon(instance, warehouse)
    event = inbox.add("artist.watch", WATCH)
    stuck = create_run_for_test(
        instance, job_name="track_watched_artists", tags={"promoteros/event_ids": str(event)}
    )
    queued(instance, warehouse, stuck)
    report(instance, stuck, DagsterEventType.PIPELINE_STARTING)
    instance.report_run_failed(
        instance.get_run_by_id(stuck.run_id),
        "Run timed out due to taking longer than 90 seconds to start.",
        JobFailureData(error=None, failure_reason=RunFailureReason.START_TIMEOUT),
    )
    daemon.tick_all()

    row = inbox.row(event)
    assert row["status"] == "failed"
    assert "Dagster retries it" in row["error"] and "to start" in row["error"]

    retried = start_run(instance, warehouse, [event], parent=stuck, retry=1)
    report(instance, retried, DagsterEventType.RUN_SUCCESS)
    daemon.tick_all()
    assert inbox.row(event)["status"] == "done"
    assert inbox.row(event)["run_id"] == retried.run_id


def _running(inbox, warehouse, instance, run_id: str, count: int = 1) -> list[int]:
    ids = [inbox.add("artist.watch", WATCH) for _ in range(count)]
    for event_id in ids:
        inbox.set(event_id, status="running", run_id=run_id)
    return ids


def test_the_sweep_files_what_each_run_really_did(inbox, instance, warehouse):
    succeeded = start_run(instance, warehouse, [])
    report(instance, succeeded, DagsterEventType.RUN_SUCCESS)
    failed_for_good = create_run_for_test(
        instance, job_name="track_watched_artists", tags={"dagster/max_retries": "0"}
    )
    instance.report_run_failed(failed_for_good, "boom")
    lost_retry = create_run_for_test(instance, job_name="track_watched_artists")
    instance.report_run_failed(lost_retry, "flaky")
    retried = create_run_for_test(instance, job_name="track_watched_artists")
    instance.report_run_failed(retried, "flaky")
    child = start_run(instance, warehouse, [], parent=retried, retry=1)
    active = start_run(instance, warehouse, [])

    done = _running(inbox, warehouse, instance, succeeded.run_id, 2)
    dead = _running(inbox, warehouse, instance, failed_for_good.run_id)
    refiled = _running(inbox, warehouse, instance, lost_retry.run_id)
    vanished = _running(inbox, warehouse, instance, "0f1e2d3c-gone")
    moved = _running(inbox, warehouse, instance, retried.run_id)
    untouched = _running(inbox, warehouse, instance, active.run_id)

    # two minutes on: long enough for Dagster's retry of lost_retry to have appeared
    sweep(warehouse, instance, idle_seconds=0, now=time.time() + 200)

    assert [inbox.row(e)["status"] for e in done] == ["done", "done"]
    assert inbox.row(done[0])["attempts"] == 1
    assert inbox.row(dead[0])["status"] == "dead"
    assert "run retries are used up" in inbox.row(dead[0])["error"]
    for event_id, why in ((refiled[0], "its retry never started"), (vanished[0], "no longer")):
        row = inbox.row(event_id)
        assert row["status"] == "pending" and row["attempts"] == 1
        assert why in row["error"]
    assert inbox.row(moved[0])["status"] == "running"
    assert inbox.row(moved[0])["run_id"] == child.run_id
    assert inbox.row(untouched[0]) == {
        "status": "running",
        "attempts": 0,
        "run_id": active.run_id,
        "error": None,
    }


def test_a_retry_still_due_is_waited_for(inbox, instance, warehouse):
    failed = create_run_for_test(instance, job_name="track_watched_artists")
    instance.report_run_failed(failed, "flaky")
    (event,) = _running(inbox, warehouse, instance, failed.run_id)

    sweep(warehouse, instance, idle_seconds=0)

    assert inbox.row(event)["status"] == "running"


def test_recently_changed_events_are_left_to_the_status_sensors(inbox, instance, warehouse):
    (event,) = _running(inbox, warehouse, instance, "0f1e2d3c-gone")

    assert sweep(warehouse, instance) == {}  # default: untouched for a minute first
    assert inbox.row(event)["status"] == "running"


def test_a_refiled_event_runs_again_under_a_new_run_key(inbox, instance, warehouse):
    first = inbox.add("artist.watch", WATCH)
    result = tick("artist_watch_events", instance, warehouse, cursor=None)
    inbox.set(first, status="running", run_id="0f1e2d3c-gone")
    sweep(warehouse, instance, idle_seconds=0)

    again = tick("artist_watch_events", instance, warehouse, cursor=result.cursor)

    assert [r.run_key for r in again.run_requests] == [f"artist.watch:{first}:attempt-2"]


def test_replay_takes_a_running_event_only_when_its_run_has_ended(inbox, warehouse):
    (event,) = _running(inbox, warehouse, None, "run-1")

    def still_working(run_id):
        return False, f"run {run_id} is still started"

    with pytest.raises(ReplayRefused, match=r"run run-1 is still started.*--force"):
        replay_event(warehouse, event, run_finished=still_working)
    assert inbox.row(event)["status"] == "running"

    assert replay_event(warehouse, event, run_finished=lambda _: (True, "gone")) == 1
    assert inbox.row(event)["status"] == "pending"

    (forced,) = _running(inbox, warehouse, None, "run-2")
    assert replay_event(warehouse, forced, force=True, run_finished=still_working) == 1
    assert inbox.row(forced)["status"] == "pending"
