"""The code location carries the alerts group: assets, jobs, schedules, sensors, resources."""

from dagster import AssetKey

from promoteros_pipelines.definitions import defs


def test_alerts_group_is_registered():
    # daily_digest waits for pipeline_trigger_events to stop targeting AssetSelection.all(),
    # which cannot span the daily and 6-hourly partitions (see the alerts issue note)
    for name in ("alert_preferences", "alert_notifications"):
        key = AssetKey(name)
        assert defs.resolve_assets_def(key).group_names_by_key[key] == "alerts"
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"alert_delivery"} <= jobs
    schedules = {schedule.name for schedule in defs.schedules or []}
    assert {"alert_delivery_every_5_minutes"} <= schedules
    sensors = {sensor.name for sensor in defs.sensors or []}
    assert {"run_failures_to_alerts", "sensor_errors_to_alerts"} <= sensors
    assert {"mailer", "notifier", "sms", "warehouse"} <= set(defs.resources or {})
