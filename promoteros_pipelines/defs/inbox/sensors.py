"""Sensors that turn webhook events into runs, and keep each event's status on its run.

``event_sensors(jobs)`` builds them against the jobs the code location actually defines, so a
route whose job is not deployed yet parks its events as ``waiting`` instead of failing to load.
"""

from collections.abc import Sequence
from typing import Any

from dagster import AssetsDefinition, SensorDefinition

from promoteros_pipelines.defs.inbox.pipeline_trigger import build_pipeline_trigger_sensor
from promoteros_pipelines.defs.inbox.run_status import RUN_STATUS_SENSORS
from promoteros_pipelines.defs.inbox.single_events import ROUTES, build_single_event_sensor
from promoteros_pipelines.defs.inbox.sweep import stranded_events
from promoteros_pipelines.defs.metrics.scraper import ingest_scraper_metrics
from promoteros_pipelines.defs.metrics.sensors import build_scraper_metrics_sensor


def event_sensors(
    jobs: Sequence[Any], assets: Sequence[AssetsDefinition]
) -> list[SensorDefinition]:
    """Every inbox and run-status sensor, given the code location's jobs and assets.

    ``jobs`` must include ``ingest_scraper_metrics`` (defined next to its asset); ``assets``
    are what ``pipeline.trigger`` webhooks may start.
    """
    by_name = {job.name: job for job in jobs}
    sensors: list[SensorDefinition] = [
        build_single_event_sensor(route, by_name.get(route.job_name or "")) for route in ROUTES
    ]
    return [
        *sensors,
        build_scraper_metrics_sensor(ingest_scraper_metrics),
        build_pipeline_trigger_sensor(assets),
        *RUN_STATUS_SENSORS,
        stranded_events,
    ]
