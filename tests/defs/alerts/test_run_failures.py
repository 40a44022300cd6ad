"""Failed runs and failing sensors file system alerts for ops, once each."""

import time

from dagster import (
    DagsterEventType,
    build_run_status_sensor_context,
    build_sensor_context,
    instance_for_test,
    job,
    op,
)
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    RemoteInstigatorOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    TickData,
    TickStatus,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster_shared.error import SerializableErrorInfo

from promoteros_pipelines.defs.alerts.sensors import (
    run_failures_to_alerts,
    sensor_errors_to_alerts,
)


@op
def pull_scraper_metrics() -> None:
    raise RuntimeError("scraper quota exhausted")


@job
def nightly_pull() -> None:
    pull_scraper_metrics()


def system_alerts(warehouse) -> list[dict]:
    frame = warehouse.read_frame(
        "SELECT alert_type, severity, organisation_id, subject, evidence::text AS evidence,"
        " dedupe_key FROM promoteros.alerts ORDER BY alert_id"
    )
    return frame.to_dicts()


def test_a_failed_run_files_one_system_alert_per_run_id(warehouse) -> None:
    with instance_for_test() as instance:
        result = nightly_pull.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        failure = next(
            event for event in result.all_events if event.event_type == DagsterEventType.RUN_FAILURE
        )
        for _ in range(2):  # the sensor seeing the same failure again changes nothing
            context = build_run_status_sensor_context(
                sensor_name="run_failures_to_alerts",
                dagster_instance=instance,
                dagster_run=result.dagster_run,
                dagster_event=failure,
                resources={"warehouse": warehouse},
            ).for_run_failure()
            run_failures_to_alerts(context)
    alerts = system_alerts(warehouse)
    assert len(alerts) == 1
    filed = alerts[0]
    assert (filed["alert_type"], filed["severity"], filed["organisation_id"]) == (
        "system",
        "critical",
        None,
    )
    assert filed["subject"] == "Pipeline run failed: nightly_pull"
    assert filed["dedupe_key"] == f"run-failure:{result.run_id}"
    assert "scraper quota exhausted" in filed["evidence"]


def _failing_sensor(instance, name: str) -> InstigatorState:
    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(
            InProcessCodeLocationOrigin(LoadableTargetOrigin(python_file="defs.py")), "repo"
        ),
        name,
    )
    state = InstigatorState(origin, InstigatorType.SENSOR, InstigatorStatus.RUNNING)
    instance.add_instigator_state(state)
    return state


def _fail(instance, state: InstigatorState, message: str) -> None:
    instance.create_tick(
        TickData(
            instigator_origin_id=state.instigator_origin_id,
            instigator_name=state.instigator_name,
            instigator_type=InstigatorType.SENSOR,
            status=TickStatus.FAILURE,
            timestamp=time.time(),
            selector_id=state.selector_id,
            error=SerializableErrorInfo(message, [], "KeyError"),
        )
    )


def test_failing_sensor_ticks_file_one_alert_per_sensor_per_hour(warehouse) -> None:
    with instance_for_test() as instance:
        cursor = str(time.time() - 1)
        state = _failing_sensor(instance, "ticket_sales_inbox")
        for _ in range(3):
            _fail(instance, state, "KeyError: 'venue_id'")

        def tick(cursor: str | None):
            context = build_sensor_context(
                instance=instance,
                cursor=cursor,
                sensor_name="sensor_errors_to_alerts",
                resources={"warehouse": warehouse},
            )
            return sensor_errors_to_alerts(context)

        first = tick(cursor)
        assert first.cursor and float(first.cursor) > float(cursor)
        second = tick(first.cursor)
        assert second.skip_reason is not None
        assert second.cursor == first.cursor
    alerts = system_alerts(warehouse)
    assert [a["subject"] for a in alerts] == ["Sensor failing: ticket_sales_inbox"]
    assert "KeyError: 'venue_id'" in alerts[0]["evidence"]
