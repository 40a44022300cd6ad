"""Events follow their run: queued -> running, success -> done, failure -> failed, then dead.

Runs and their status events are written to a real temporary instance exactly as the daemon
and run workers write them (with run retries enabled, max 2, as in our dagster.yaml), and the
code location's run status sensors are ticked against it.
"""

import pytest
from dagster import (
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    build_run_status_sensor_context,
)
from dagster._core.test_utils import create_run_for_test

from promoteros_pipelines.defs.inbox.run_status import dagster_will_retry, event_runs_queued
from promoteros_pipelines.defs.inbox.store import format_event_ids
from tests.support.sensor_ticks import tick

SENSORS = ("event_runs_queued", "event_runs_succeeded", "event_runs_failed", "event_runs_canceled")
WATCH = {"artist_name": "Nova Lights", "platform_ids": {"spotify": "sp-nova"}}


class Daemon:
    """Ticks every run status sensor, keeping each one's cursor as the daemon would."""

    def __init__(self, instance: DagsterInstance, warehouse) -> None:
        self.instance, self.warehouse = instance, warehouse
        self.cursors = {name: tick(name, instance, warehouse, None).cursor for name in SENSORS}

    def tick_all(self) -> None:
        for name in SENSORS:
            result = tick(name, self.instance, self.warehouse, self.cursors[name])
            self.cursors[name] = result.cursor


def report(instance: DagsterInstance, run: DagsterRun, event_type: DagsterEventType) -> None:
    event = DagsterEvent(event_type_value=event_type.value, job_name=run.job_name)
    instance.report_dagster_event(event, run_id=run.run_id)


def start_run(instance, warehouse, event_ids, parent: DagsterRun | None = None, retry: int = 0):
    tags = {"promoteros/event_ids": format_event_ids(event_ids)}
    lineage = {}
    if parent is not None:
        # what Dagster's automatic re-execution puts on a retry (tags and run group)
        root = parent.root_run_id or parent.run_id
        tags["dagster/retry_number"] = str(retry)
        tags["dagster/parent_run_id"], tags["dagster/root_run_id"] = parent.run_id, root
        lineage = {"parent_run_id": parent.run_id, "root_run_id": root}
    run = create_run_for_test(instance, job_name="track_watched_artists", tags=tags, **lineage)
    queued(instance, warehouse, run)
    report(instance, run, DagsterEventType.RUN_START)
    return run


def queued(instance: DagsterInstance, warehouse, run: DagsterRun) -> None:
    """Dagster only stores a queued status for runs launched from a code location, so this
    one transition calls the sensor function directly, with the event the daemon would see."""
    event = DagsterEvent(DagsterEventType.RUN_ENQUEUED.value, job_name=run.job_name)
    context = build_run_status_sensor_context(
        "event_runs_queued", event, instance, run, resources={"warehouse": warehouse}
    )
    event_runs_queued(context)


@pytest.fixture
def daemon(instance, warehouse) -> Daemon:
    return Daemon(instance, warehouse)


def test_success_marks_events_running_then_done(inbox, instance, warehouse, daemon):
    events = [inbox.add("artist.watch", WATCH) for _ in range(2)]
    run = start_run(instance, warehouse, events)
    daemon.tick_all()
    assert inbox.row(events[0]) == {
        "status": "running",
        "attempts": 0,
        "run_id": run.run_id,
        "error": None,
    }
    report(instance, run, DagsterEventType.RUN_SUCCESS)
    daemon.tick_all()
    for event in events:
        assert inbox.row(event) == {
            "status": "done",
            "attempts": 1,
            "run_id": run.run_id,
            "error": None,
        }


def test_failures_are_retried_by_dagster_then_dead(inbox, instance, warehouse, daemon):
    event = inbox.add("artist.watch", WATCH)
    first = start_run(instance, warehouse, [event])
    instance.report_run_failed(instance.get_run_by_id(first.run_id), "the warehouse was down")
    daemon.tick_all()
    row = inbox.row(event)
    assert row["status"] == "failed" and row["attempts"] == 1
    assert "Dagster retries it" in row["error"] and "the warehouse was down" in row["error"]

    parent = first
    for retry in (1, 2):
        retried = start_run(instance, warehouse, [event], parent=parent, retry=retry)
        daemon.tick_all()
        assert inbox.row(event)["status"] == "running"
        assert inbox.row(event)["run_id"] == retried.run_id
        instance.report_run_failed(instance.get_run_by_id(retried.run_id), "still down")
        daemon.tick_all()
        parent = retried

    row = inbox.row(event)
    assert row["status"] == "dead" and row["attempts"] == 3
    assert "retries are used up (2 of 2)" in row["error"]
    assert "promoteros events replay" in row["error"]


def test_a_retry_that_succeeds_marks_the_event_done(inbox, instance, warehouse, daemon):
    event = inbox.add("artist.watch", WATCH)
    first = start_run(instance, warehouse, [event])
    instance.report_run_failed(instance.get_run_by_id(first.run_id), "flaky")
    daemon.tick_all()
    retried = start_run(instance, warehouse, [event], parent=first, retry=1)
    report(instance, retried, DagsterEventType.RUN_SUCCESS)
    daemon.tick_all()
    assert inbox.row(event) == {
        "status": "done",
        "attempts": 2,
        "run_id": retried.run_id,
        "error": None,
    }


def test_a_canceled_run_leaves_its_events_dead_and_replayable(inbox, instance, warehouse, daemon):
    event = inbox.add("artist.watch", WATCH)
    run = start_run(instance, warehouse, [event])
    instance.report_run_canceled(instance.get_run_by_id(run.run_id))
    daemon.tick_all()
    row = inbox.row(event)
    assert row["status"] == "dead" and "was canceled" in row["error"]


def test_runs_without_event_tags_are_ignored(inbox, instance, daemon):
    event = inbox.add("artist.watch", WATCH)
    run = create_run_for_test(instance, job_name="discover_and_pull")
    report(instance, run, DagsterEventType.RUN_SUCCESS)
    daemon.tick_all()
    assert inbox.row(event)["status"] == "pending"


def test_will_retry_falls_back_to_the_retry_number_without_dagsters_tag():
    def run(tags):
        return DagsterRun(job_name="j", run_id="r", tags=tags)

    assert dagster_will_retry(run({"dagster/will_retry": "false"}), True, 2) is False
    assert dagster_will_retry(run({"dagster/retry_number": "1"}), True, 2) is True
    assert dagster_will_retry(run({"dagster/retry_number": "2"}), True, 2) is False
    assert dagster_will_retry(run({}), False, 2) is False
