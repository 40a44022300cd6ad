"""The Dagster side: the sensor routes report.request to custom_report with the payload as run
config, the job mails once per event, refuses bad requests with their reason, and will not
run without a link secret."""

import json
import uuid

import pytest
from custom_report_support import PUBLIC_URL, SECRET, report_rows, request
from dagster import instance_for_test

from promoteros_pipelines.definitions import defs
from promoteros_pipelines.defs.custom_reports.jobs import custom_report, expire_custom_reports
from promoteros_pipelines.defs.custom_reports.resource import CustomReportsResource
from promoteros_pipelines.report_store.s3_store import S3ReportStore
from tests.support.sensor_ticks import tick


def add_event(warehouse, payload: dict) -> int:
    with warehouse.connect() as conn:
        row = conn.execute(
            "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload) "
            "VALUES ('ui', 'report.request', %s, %s) RETURNING event_id",
            (f"msg_{uuid.uuid4().hex}", json.dumps(payload)),
        ).fetchone()
    return row[0]


def resources(warehouse, store, mailer, secret: str | None = SECRET) -> dict:
    """The resource configured as a deployment would name the test's store."""
    if isinstance(store, S3ReportStore):
        where = {"store_url": store.url, "s3_endpoint_url": store.endpoint_url}
    else:
        where = {"store_dir": str(store.root)}
    settings = CustomReportsResource(public_url=PUBLIC_URL, link_secret=secret, **where)
    return {"warehouse": warehouse, "mailer": mailer, "custom_reports": settings}


def test_the_sensor_starts_one_custom_report_run_per_event(world, warehouse):
    event = add_event(warehouse, request())
    with instance_for_test() as instance:
        data = tick("report_request_events", instance, warehouse)
    [run] = data.run_requests
    assert run.job_name == "custom_report"
    assert run.run_key == f"report.request:{event}"
    config = run.run_config["ops"]["build_custom_report"]["config"]
    assert config["event_id"] == event and config["request"]["artists"][1].startswith("=")


def test_an_unparseable_request_is_dead_with_its_reason(world, warehouse):
    event = add_event(warehouse, {"organisation": "acme", "format": "docx"})
    with instance_for_test() as instance:
        data = tick("report_request_events", instance, warehouse)
    assert not data.run_requests
    status, error = warehouse.read_frame(
        "SELECT status, error FROM promoteros.webhook_events WHERE event_id = $1", [event]
    ).row(0)
    assert status == "dead"
    assert error.startswith("report.request payload is invalid:") and "format" in error


def test_the_job_mails_once_per_event(world, warehouse, store, mailer, smtp):
    event = add_event(warehouse, request(format="xlsx"))
    run_config = {
        "ops": {"build_custom_report": {"config": {"event_id": event, "request": request()}}}
    }
    bound = resources(warehouse, store, mailer)
    first = custom_report.execute_in_process(run_config=run_config, resources=bound)
    second = custom_report.execute_in_process(run_config=run_config, resources=bound)
    assert first.success and second.success
    assert len(smtp.received) == 1
    [row] = report_rows(warehouse)
    assert row["status"] == "sent" and store.exists(row["object_key"])
    [materialised] = [e for e in second.all_events if e.event_type_value == "STEP_OUTPUT"]
    assert materialised.event_specific_data.metadata["status"].value == "already_sent"


def test_a_bad_request_fails_the_run_with_its_reason(world, warehouse, store, mailer, smtp):
    bad = request(artists=["Nobody Known"])
    run_config = {"ops": {"build_custom_report": {"config": {"event_id": 77, "request": bad}}}}
    result = custom_report.execute_in_process(
        run_config=run_config, resources=resources(warehouse, store, mailer), raise_on_error=False
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "report request 77 refused: unknown artists: Nobody Known" in message
    [refusal] = smtp.received
    assert refusal.message["Subject"] == "Report request refused"


def test_the_job_refuses_to_run_without_a_link_secret(world, warehouse, store, mailer, smtp):
    run_config = {"ops": {"build_custom_report": {"config": {"event_id": 5, "request": request()}}}}
    result = custom_report.execute_in_process(
        run_config=run_config,
        resources=resources(warehouse, store, mailer, secret=None),
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "PROMOTEROS_LINK_SECRET is not set" in failure.event_specific_data.error.message
    assert smtp.received == [] and report_rows(warehouse) == []


def test_the_cleanup_job_runs(world, warehouse, store, mailer):
    bound = resources(warehouse, store, mailer)
    del bound["mailer"]
    assert expire_custom_reports.execute_in_process(resources=bound).success


@pytest.mark.parametrize("name", ["custom_report", "expire_custom_reports"])
def test_the_code_location_defines_the_jobs_and_schedule(name):
    repository = defs.get_repository_def()
    assert repository.get_job(name).name == name
    schedule = repository.get_schedule_def("expire_custom_reports_hourly")
    assert schedule.job_name == "expire_custom_reports"
