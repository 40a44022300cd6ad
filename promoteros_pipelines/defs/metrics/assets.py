"""Metrics: every tracked artist's numbers per platform, pulled per 6-hour window."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from dagster import (
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from promoteros_pipelines.defs.discovery.assets import tracked_artists
from promoteros_pipelines.defs.metadata import markdown_table, table
from promoteros_pipelines.defs.metrics.influx_store import mirror_observations, pending_rows
from promoteros_pipelines.defs.partitions import six_hourly
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.platforms.pulls import PullResult
from promoteros_pipelines.resources.platforms.resources import (
    InstagramResource,
    PlatformResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.celery_profile import PLATFORM_API_STEP_TAGS

GROUP = "metrics"
KINDS = {"polars", "postgres"}
OWNERS = ["team:data-platform"]
OBSERVATION_KEY = ["artist_id", "platform", "metric", "observed_at"]

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


def _pull(platform: str, resource: PlatformResource, ids: list[str]) -> PullResult:
    return resource.fetch_metrics(ids)  # type: ignore[attr-defined]


def _summary(results: dict[str, PullResult], ids: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "platform": platform,
                "artists": len(ids[platform]),
                "observations": result.observations.height,
                "failed_artists": len(result.failures),
                "error": str(result.fatal or (result.failures[0].error if result.failures else "")),
            }
            for platform, result in results.items()
        ],
        schema={
            "platform": pl.String,
            "artists": pl.Int64,
            "observations": pl.Int64,
            "failed_artists": pl.Int64,
            "error": pl.String,
        },
    )


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    partitions_def=six_hourly,
    deps=[tracked_artists],
    op_tags=PLATFORM_API_STEP_TAGS,  # the Celery profile's queue for API callers
)
def platform_metrics(
    context: AssetExecutionContext,
    warehouse: PostgresWarehouse,
    spotify: SpotifyResource,
    youtube: YouTubeResource,
    tiktok: TikTokResource,
    instagram: InstagramResource,
) -> MaterializeResult:
    """Followers, views, likes, posts and popularity of every tracked artist on Spotify,
    YouTube, TikTok and Instagram, stamped at the end of the 6-hour window (rows in
    `promoteros.metric_observations`, key artist/platform/metric/observed_at). A platform that
    is down fails its part only; re-running a window overwrites, it never duplicates."""
    started = dt.datetime.now(dt.UTC)
    window_end = context.partition_time_window.end
    resources = {"spotify": spotify, "youtube": youtube, "tiktok": tiktok, "instagram": instagram}
    id_map = warehouse.read_frame(
        "SELECT artist_id, platform, external_id FROM promoteros.artist_platform_ids"
        " WHERE platform = ANY($1)",
        [list(resources)],
    )
    ids = {
        platform: id_map.filter(pl.col("platform") == platform)["external_id"].to_list()
        for platform in resources
    }
    wanted = {platform: resource for platform, resource in resources.items() if ids[platform]}
    with ThreadPoolExecutor(max_workers=len(wanted) or 1) as pool:
        futures = {p: pool.submit(_pull, p, r, ids[p]) for p, r in wanted.items()}
        results = {platform: future.result() for platform, future in futures.items()}

    observations = (
        pl.concat([r.observations for r in results.values()], how="vertical_relaxed")
        if results
        else pl.DataFrame()
    )
    written = 0
    if not observations.is_empty():
        rows = observations.join(id_map, on=["platform", "external_id"], how="inner").select(
            "artist_id",
            "platform",
            "metric",
            pl.lit(window_end).dt.convert_time_zone("UTC").alias("observed_at"),
            "value",
            pl.lit("api").alias("source"),
        )
        written = warehouse.upsert(
            "metric_observations", rows, key=OBSERVATION_KEY, update=["value", "source"]
        )
    summary = _summary(results, ids)
    for row in summary.filter(pl.col("error") != "").iter_rows(named=True):
        context.log.warning(
            f"{row['platform']}: {row['failed_artists']} of {row['artists']} artists failed: "
            f"{row['error']}"
        )
    metadata = {
        "window_end": MetadataValue.text(window_end.isoformat()),
        "rows_written": MetadataValue.int(written),
        "per_platform": markdown_table(summary),
        "duration_seconds": MetadataValue.float(
            (dt.datetime.now(dt.UTC) - started).total_seconds()
        ),
    }
    if results and all(r.observations.is_empty() for r in results.values()):
        raise Failure("every platform failed; nothing was stored", metadata=metadata)
    return MaterializeResult(metadata=metadata)


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
