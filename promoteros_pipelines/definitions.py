"""The code location: every business area under ``defs/``, loaded by Dagster's defs-folder loader.

Adding an area means adding ``domain/<area>.py`` and ``defs/<area>/``; nothing here changes.
The one definition built over all areas is the ``pipeline.trigger`` sensor, which may start
any of their jobs.
"""

from pathlib import Path

from dagster import Definitions, load_from_defs_folder

from promoteros_pipelines.defs.inbox.pipeline_trigger import build_pipeline_trigger_sensor


def _load() -> Definitions:
    areas = load_from_defs_folder(path_within_project=Path(__file__).resolve().parent)
    trigger = build_pipeline_trigger_sensor(list(areas.jobs or []))
    return Definitions.merge(areas, Definitions(sensors=[trigger]))


defs = _load()
