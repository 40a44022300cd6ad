"""The code location: every business area under ``defs/``, loaded by Dagster's defs-folder loader.

Adding an area means adding ``domain/<area>.py`` and ``defs/<area>/``; nothing here changes.
Two things are drawn over all areas at once: the ``pipeline.trigger`` sensor, which may start
any of their jobs (behind the approvals area's gate for those that need an approval), and the
``alerts`` table, which every area may file into (an asset with ``metadata={FILES_INTO:
"alerts"}`` is drawn upstream of it), so that the lineage graph shows who raises alerts
without the alerts area listing its producers. The executor is Dagster's default unless the
Celery profile is on (``runtime/celery_profile.py``).
"""

from pathlib import Path

from dagster import AssetKey, Definitions, ExecutorDefinition, load_from_defs_folder

from promoteros_pipelines.defs.alerts.assets import alerts_table
from promoteros_pipelines.defs.approvals.gate import approval_gate
from promoteros_pipelines.defs.inbox.pipeline_trigger import build_pipeline_trigger_sensor
from promoteros_pipelines.defs.metadata import FILES_INTO
from promoteros_pipelines.runtime import celery_profile


def _alert_producers(areas: Definitions) -> list[AssetKey]:
    """The assets that declare they file rows into ``alerts``."""
    return [
        spec.key
        for spec in areas.resolve_all_asset_specs()
        if spec.metadata.get(FILES_INTO) == "alerts"
    ]


def _executor() -> ExecutorDefinition | None:
    """dagster-celery's executor when PROMOTEROS_CELERY_BROKER_URL is set (the Celery
    deployment profile, docs/scaling.md), else Dagster's default. Jobs that name their own
    executor (the small in-process event jobs) keep it."""
    if not celery_profile.broker_url():
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(celery_profile.executor_config(), name="celery")


def _load() -> Definitions:
    areas = load_from_defs_folder(path_within_project=Path(__file__).resolve().parent)
    across_areas = Definitions(
        assets=[alerts_table(_alert_producers(areas))],
        sensors=[build_pipeline_trigger_sensor(list(areas.jobs or []), approval_gate)],
        executor=_executor(),
    )
    return Definitions.merge(areas, across_areas)


defs = _load()
