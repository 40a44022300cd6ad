"""Jobs the schedules, sensors and people run: named for what they do."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from promoteros_pipelines.runtime.dagster_home import PLATFORM_API_TAGS

track_watched_artists = define_asset_job(
    "track_watched_artists",
    selection=AssetSelection.assets("tracked_artists"),
    # one small step: running it in the run's own process saves a second interpreter start
    executor_def=in_process_executor,
    description="Start tracking the artists named in artist.watch webhooks (run config).",
)

discover_and_pull = define_asset_job(
    "discover_and_pull",
    selection=AssetSelection.assets(
        "trending_candidates",
        "tracked_artists",
        "platform_metrics",
        "metric_observations",
        "artist_metrics_latest",
        "influxdb_mirror",
        "ticket_sales_influxdb_mirror",
    ),
    tags=PLATFORM_API_TAGS,
    description="Find trending artists, track the new ones, and pull every tracked artist's "
    "metrics for one 6-hour window.",
)
