"""Reloading the reference files: run after editing them (the demo and tests run it too)."""

from dagster import AssetSelection, define_asset_job

load_reference_data = define_asset_job(
    "load_reference_data",
    selection=AssetSelection.groups("reference") | AssetSelection.assets("alert_preferences"),
    description=(
        "Validate and load the organisations, venues, recipients and alert preferences files "
        "(PROMOTEROS_REFERENCE_DIR, else the shipped ones) into the warehouse."
    ),
)
