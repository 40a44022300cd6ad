"""The code location loads, and has what the rest of the product relies on."""

import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from promoteros_pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[1]

EXPECTED_ASSETS = {
    "organisations",
    "venues",
    "recipients",
    "trending_candidates",
    "tracked_artists",
    "platform_metrics",
    "artist_metrics_latest",
    "influxdb_mirror",
    "scraper_metrics",
    "daily_artist_metrics",
    "artist_momentum",
    "viral_signals",
    "viral_model",
    "viral_events",
    "alert_preferences",
    "alert_notifications",
    "daily_digest",
    "weekly_executive_report",
}
EXPECTED_JOBS = {
    "discover_and_pull",
    "track_watched_artists",
    "ingest_scraper_metrics",
    "daily_analytics",
    "viral_detection",
    "viral_model_training",
    "alert_delivery",
    "daily_digest_job",
    "custom_report",
}
EXPECTED_SCHEDULES = {"discover_and_pull_every_6_hours"}


def test_definitions_hold_the_expected_assets():
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert keys >= EXPECTED_ASSETS
    assert (
        defs.resolve_assets_def(AssetKey("venues")).group_names_by_key[AssetKey("venues")]
        == "reference"
    )


def test_definitions_hold_the_expected_jobs_and_schedules():
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert jobs >= EXPECTED_JOBS
    schedules = {schedule.name for schedule in defs.schedules or []}
    assert schedules >= EXPECTED_SCHEDULES


def test_every_asset_has_a_description_and_group():
    for key in defs.resolve_all_asset_keys():
        spec = defs.resolve_assets_def(key).specs_by_key[key]
        assert spec.description, f"{key} needs a description for the UI"
        assert spec.group_name != "default", f"{key} needs a group"


def test_dagster_definitions_validate_passes():
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
