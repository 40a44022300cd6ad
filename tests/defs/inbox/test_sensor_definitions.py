"""The code location has every inbox and run-status sensor, ticking on every daemon pass."""

from dagster import DefaultSensorStatus
from dagster._daemon.sensor import MIN_INTERVAL_LOOP_TIME

from promoteros_pipelines.definitions import defs

INBOX_SENSORS = {
    "scraper_metrics_events": "ingest_scraper_metrics",
    "artist_watch_events": "track_watched_artists",
    "report_request_events": "custom_report",
    "ticketing_sales_events": "ingest_ticket_sales",
    "approval_decision_events": "approval_decision",
    "booking_response_events": "booking_response",
    "pipeline_trigger_events": None,
}
RUN_STATUS_SENSORS = {
    "event_runs_queued",
    "event_runs_succeeded",
    "event_runs_failed",
    "event_runs_canceled",
}


def test_every_event_sensor_is_defined_running_and_quick():
    sensors = {sensor.name: sensor for sensor in defs.get_repository_def().sensor_defs}
    assert set(sensors) >= set(INBOX_SENSORS) | RUN_STATUS_SENSORS
    for name in set(INBOX_SENSORS) | RUN_STATUS_SENSORS:
        # below the daemon's pass interval, or every other pass skips the sensor (10 s)
        assert sensors[name].minimum_interval_seconds < MIN_INTERVAL_LOOP_TIME, name
        assert sensors[name].default_status == DefaultSensorStatus.RUNNING, name
        assert sensors[name].description, name
    for name, job in INBOX_SENSORS.items():
        if job:
            assert sensors[name].job_name == job
