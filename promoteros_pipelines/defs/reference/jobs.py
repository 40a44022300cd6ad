"""Jobs people run on the reference data."""

from dagster import AssetSelection, define_asset_job

load_reference_data = define_asset_job(
    "load_reference_data",
    selection=AssetSelection.assets("organisations", "venues", "recipients", "alert_preferences"),
    description="Load the organisations, venues, recipients and alert preferences files into "
    "the warehouse (after editing them; loading the same files again changes nothing).",
)
