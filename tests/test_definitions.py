"""The code location loads, and has what the rest of the product relies on."""

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster import Definitions

from promoteros_pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[1]

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def _partitioning(partitions_def: object) -> str | None:
    """The kind of partitioning, without start dates (a deployment may move those)."""
    if partitions_def is None:
        return None
    cron = getattr(partitions_def, "cron_schedule", None)
    return f"time window {cron}" if cron else type(partitions_def).__name__


def describe(definitions: Definitions) -> dict:
    """What the code location offers, as a reviewer wants to see it change."""
    repository = definitions.get_repository_def()
    graph = repository.asset_graph
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "upstream": sorted(parent.to_user_string() for parent in node.parent_keys),
            "group": node.group_name,
            "materializable": node.is_materializable,
            "partitioning": _partitioning(node.partitions_def),
            "checks": sorted(
                f"{check.key.name}{' (blocking)' if check.blocking else ''}"
                for check in graph.asset_check_nodes
                if check.key.asset_key == key
            ),
        }
    return {
        "assets": assets,
        "jobs": sorted(
            job.name for job in repository.get_all_jobs() if not job.name.startswith("__")
        ),
        "schedules": {
            s.name: {
                "job": s.job_name,
                "cron": s.cron_schedule,
                "time_zone": s.execution_timezone or "UTC",
                "default_status": s.default_status.value,
            }
            for s in sorted(repository.schedule_defs, key=lambda s: s.name)
        },
        "sensors": {
            s.name: s.default_status.value
            for s in sorted(repository.sensor_defs, key=lambda s: s.name)
        },
    }


def test_the_definitions_match_their_snapshot():
    """Regenerate after an intended change: UPDATE_DEFINITIONS_SNAPSHOT=1 pytest this file."""
    current = describe(defs)
    if os.environ.get("UPDATE_DEFINITIONS_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert current == expected, (
        "the code location's definitions changed; if intended, regenerate the snapshot with "
        "UPDATE_DEFINITIONS_SNAPSHOT=1 and review its diff"
    )


def test_every_asset_belongs_to_a_named_job():
    """So that people and pipeline.trigger webhooks can run it under a name they know."""
    repository = defs.get_repository_def()
    in_jobs = set().union(
        *(
            job.asset_layer.executable_asset_keys
            for job in repository.get_all_jobs()
            if not job.name.startswith("__")
        )
    )
    materializable = {
        key
        for key in repository.asset_graph.get_all_asset_keys()
        if repository.asset_graph.get(key).is_materializable
    }
    assert sorted(k.to_user_string() for k in materializable - in_jobs) == []


def test_dg_check_defs_passes():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "check", "defs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_asset_has_a_description_and_group():
    for key in defs.resolve_all_asset_keys():
        spec = defs.resolve_assets_def(key).specs_by_key[key]
        assert spec.description, f"{key} needs a description for the UI"
        assert spec.group_name != "default", f"{key} needs a group"


# Imported where they are used: every run worker imports the code location before its run
# starts, so a webhook-triggered run would wait for these on every start.
LOADED_ON_FIRST_USE = (
    "adbc_driver_postgresql",
    "boto3",
    "influxdb_client",
    "matplotlib",
    "openpyxl",
    "pyarrow",
    "skops",
    "sklearn",
    "weasyprint",
)


def test_loading_the_code_location_leaves_heavy_libraries_unimported():
    code = (
        "import sys, promoteros_pipelines.definitions;"
        f"print(','.join(m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == "", f"imported at load: {result.stdout.strip()}"


def test_every_schedule_and_job_says_what_it_does():
    undescribed = [s.name for s in defs.schedules or [] if not s.description]
    undescribed += [
        job.name
        for job in defs.resolve_all_job_defs()
        if not job.name.startswith("__") and not job.description
    ]
    assert undescribed == []


def test_report_and_digest_schedules_are_on_by_default():
    from dagster import DefaultScheduleStatus

    promised = [
        s
        for s in defs.schedules or []
        if s.name.startswith("weekly_executive_report_") or s.name == "daily_digest_schedule"
    ]
    assert len(promised) >= 2
    assert {s.default_status for s in promised} == {DefaultScheduleStatus.RUNNING}
