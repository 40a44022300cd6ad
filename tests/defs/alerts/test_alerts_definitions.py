"""The code location carries the alerts group: assets, jobs, schedules, sensors, resources."""

from dagster import AssetKey

from promoteros_pipelines.definitions import defs


def test_alerts_group_is_registered():
    for name in ("alert_preferences", "alert_notifications", "daily_digest"):
        key = AssetKey(name)
        assert defs.resolve_assets_def(key).group_names_by_key[key] == "alerts"
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"alert_delivery", "daily_digest_job"} <= jobs
    schedules = {schedule.name for schedule in defs.schedules or []}
    assert {"alert_delivery_every_5_minutes", "daily_digest_schedule"} <= schedules
    sensors = {sensor.name for sensor in defs.sensors or []}
    assert {"run_failures_to_alerts", "sensor_errors_to_alerts"} <= sensors
    assert {"mailer", "notifier", "sms", "warehouse"} <= set(defs.resources or {})
