"""Metrics: every tracked artist's numbers per platform, pulled per 6-hour window."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset

from promoteros_pipelines.defs.discovery.assets import tracked_artists
from promoteros_pipelines.defs.metadata import markdown_table, table
from promoteros_pipelines.defs.metrics.influx_store import mirror_observations, pending_rows
from promoteros_pipelines.defs.metrics.per_platform import (
    PLATFORM_METRICS_DESCRIPTION,
    per_platform_steps,
)
from promoteros_pipelines.defs.metrics.platform_pulls import (
    failure_warning,
    platform_ids,
    pull,
    store,
    summary_metadata,
)
from promoteros_pipelines.defs.partitions import six_hourly
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.platforms.resources import (
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime import celery_profile

GROUP = "metrics"
KINDS = {"polars", "postgres"}
OWNERS = ["team:data-platform"]

REFRESH_LATEST = """
INSERT INTO promoteros.artist_metrics_latest (artist_id, platform, metric, observed_at, value)
SELECT DISTINCT ON (artist_id, platform, metric) artist_id, platform, metric, observed_at, value
FROM promoteros.metric_observations
ORDER BY artist_id, platform, metric, observed_at DESC
ON CONFLICT (artist_id, platform, metric) DO UPDATE
SET observed_at = EXCLUDED.observed_at, value = EXCLUDED.value
WHERE (artist_metrics_latest.observed_at, artist_metrics_latest.value)
    IS DISTINCT FROM (EXCLUDED.observed_at, EXCLUDED.value)
"""


def _in_process_steps() -> AssetsDefinition:
    """The default shape of ``platform_metrics``: one step, the four platforms on threads."""

    @asset(
        name="platform_metrics",
        group_name=GROUP,
        kinds=KINDS,
        owners=OWNERS,
        partitions_def=six_hourly,
        deps=[tracked_artists],
        description=PLATFORM_METRICS_DESCRIPTION,
    )
    def platform_metrics(
        context: AssetExecutionContext,
        warehouse: PostgresWarehouse,
        spotify: SpotifyResource,
        youtube: YouTubeResource,
        tiktok: TikTokResource,
        instagram: InstagramResource,
    ) -> MaterializeResult:
        started = dt.datetime.now(dt.UTC)
        window_end = context.partition_time_window.end
        resources = {
            "spotify": spotify,
            "youtube": youtube,
            "tiktok": tiktok,
            "instagram": instagram,
        }
        id_map = platform_ids(warehouse, list(resources))
        ids = {
            platform: id_map.filter(pl.col("platform") == platform)["external_id"].to_list()
            for platform in resources
        }
        wanted = {platform: resource for platform, resource in resources.items() if ids[platform]}
        with ThreadPoolExecutor(max_workers=len(wanted) or 1) as threads:
            futures = {p: threads.submit(pull, r, ids[p]) for p, r in wanted.items()}
            results = {platform: future.result() for platform, future in futures.items()}
        pulls = [store(warehouse, p, result, id_map, window_end) for p, result in results.items()]
        for done in pulls:
            if warning := failure_warning(done):
                context.log.warning(warning)
        return MaterializeResult(metadata=summary_metadata(pulls, window_end, started))

    return platform_metrics


# The Celery profile pulls each platform in a step of its own, on that platform's queue.
platform_metrics: AssetsDefinition = (
    per_platform_steps(tracked_artists) if celery_profile.broker_url() else _in_process_steps()
)


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=["metric_observations"],
    metadata=table("artist_metrics_latest"),
)
def artist_metrics_latest(warehouse: PostgresWarehouse) -> MaterializeResult:
    """The newest value of every metric for every artist and platform
    (`promoteros.artist_metrics_latest`, key artist/platform/metric): what dashboards and the
    Mission Control UI show as "now"."""
    changed = warehouse.execute(REFRESH_LATEST)
    latest = warehouse.read_frame(
        "SELECT platform, count(DISTINCT artist_id) AS artists, max(observed_at) AS newest"
        " FROM promoteros.artist_metrics_latest GROUP BY platform ORDER BY platform"
    )
    return MaterializeResult(
        metadata={
            "rows_changed": MetadataValue.int(changed),
            "per_platform": markdown_table(latest),
        }
    )


@asset(
    group_name=GROUP, kinds={"postgres", "influxdb"}, owners=OWNERS, deps=["metric_observations"]
)
def influxdb_mirror(
    context: AssetExecutionContext, warehouse: PostgresWarehouse, influxdb: InfluxMirror
) -> MaterializeResult:
    """Observations copied to InfluxDB for time-series dashboards (measurement
    `artist_metrics`, tags artist_id and platform, one field per metric). Skipped when
    INFLUXDB_URL is not set; after an outage it catches up from its high-water mark."""
    if not influxdb.enabled:
        context.log.info("INFLUXDB_URL is not set: the InfluxDB mirror is disabled")
        return MaterializeResult(metadata={"enabled": MetadataValue.bool(False)})
    report = mirror_observations(warehouse, influxdb)
    return MaterializeResult(
        metadata={
            "enabled": MetadataValue.bool(True),
            "rows_mirrored": MetadataValue.int(report.rows),
            "lines_written": MetadataValue.int(report.lines),
            "write_requests": MetadataValue.int(report.requests),
            "rows_waiting": MetadataValue.int(pending_rows(warehouse)),
            "high_water_mark": MetadataValue.text(str(report.high_water_mark)),
        }
    )
