"""One platform's pull for a 6-hour window, and the summary of all four: shared by the two
shapes of ``platform_metrics``.

In process (the default) ``platform_metrics`` is one step that pulls the four platforms on
threads. In the Celery profile it is a graph-backed asset with one op per platform, each on
its platform's queue (``dagster-celery/queue: platform-api-<platform>``), so that one worker
process per queue in the whole fleet keeps each platform's rate limit across machines. Both
shapes write the same rows through :func:`pull_and_store` and describe the window with
:func:`summary_metadata`; only where the pulls run differs.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl
from dagster import Failure, MetadataValue

from promoteros_pipelines.defs.metadata import markdown_table
from promoteros_pipelines.resources.platforms.pulls import PullResult
from promoteros_pipelines.resources.platforms.resources import PlatformResource
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

PLATFORMS = ("spotify", "youtube", "tiktok", "instagram")
OBSERVATION_KEY = ["artist_id", "platform", "metric", "observed_at"]
SUMMARY_SCHEMA = {
    "platform": pl.String,
    "artists": pl.Int64,
    "observations": pl.Int64,
    "failed_artists": pl.Int64,
    "error": pl.String,
}


@dataclass(frozen=True)
class PlatformPull:
    """What one platform's pull did in a window (a row of the ``per_platform`` table)."""

    platform: str
    artists: int
    observations: int
    failed_artists: int
    error: str
    rows_written: int

    def as_metadata(self) -> dict[str, MetadataValue]:
        return {
            "platform": MetadataValue.text(self.platform),
            "artists": MetadataValue.int(self.artists),
            "observations": MetadataValue.int(self.observations),
            "failed_artists": MetadataValue.int(self.failed_artists),
            "error": MetadataValue.text(self.error),
            "rows_written": MetadataValue.int(self.rows_written),
        }

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> "PlatformPull":
        values = {name: getattr(value, "value", value) for name, value in metadata.items()}
        return cls(**{name: values[name] for name in cls.__dataclass_fields__})


def platform_ids(warehouse: PostgresWarehouse, platforms: list[str]) -> pl.DataFrame:
    """(artist_id, platform, external_id) of every tracked artist on ``platforms``."""
    return warehouse.read_frame(
        "SELECT artist_id, platform, external_id FROM promoteros.artist_platform_ids"
        " WHERE platform = ANY($1)",
        [platforms],
    )


def pull(resource: PlatformResource, ids: list[str]) -> PullResult:
    return resource.fetch_metrics(ids)  # type: ignore[attr-defined]


def store(
    warehouse: PostgresWarehouse,
    platform: str,
    result: PullResult,
    id_map: pl.DataFrame,
    window_end: dt.datetime,
) -> PlatformPull:
    """Upsert one platform's observations, stamped at the window's end (key
    artist/platform/metric/observed_at: a re-run of the window overwrites, never duplicates)."""
    written = 0
    if not result.observations.is_empty():
        rows = result.observations.join(
            id_map.filter(pl.col("platform") == platform), on=["platform", "external_id"]
        ).select(
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
    error = result.fatal or (result.failures[0].error if result.failures else "")
    return PlatformPull(
        platform=platform,
        artists=id_map.filter(pl.col("platform") == platform).height,
        observations=result.observations.height,
        failed_artists=len(result.failures),
        error=str(error),
        rows_written=written,
    )


def pull_and_store(
    warehouse: PostgresWarehouse, platform: str, resource: PlatformResource, window_end: dt.datetime
) -> PlatformPull | None:
    """One platform's whole part of a window; None when no tracked artist has an id there."""
    id_map = platform_ids(warehouse, [platform])
    if id_map.is_empty():
        return None
    result = pull(resource, id_map["external_id"].to_list())
    return store(warehouse, platform, result, id_map, window_end)


def summary_metadata(
    pulls: list[PlatformPull], window_end: dt.datetime, started: dt.datetime
) -> dict[str, MetadataValue]:
    """The asset's metadata for a window; raises Failure when every platform failed."""
    rows = [{k: v for k, v in asdict(p).items() if k != "rows_written"} for p in pulls]
    summary = pl.DataFrame(rows, schema=SUMMARY_SCHEMA)
    metadata = {
        "window_end": MetadataValue.text(window_end.isoformat()),
        "rows_written": MetadataValue.int(sum(p.rows_written for p in pulls)),
        "per_platform": markdown_table(summary),
        "duration_seconds": MetadataValue.float(
            (dt.datetime.now(dt.UTC) - started).total_seconds()
        ),
    }
    if pulls and all(p.observations == 0 for p in pulls):
        raise Failure("every platform failed; nothing was stored", metadata=metadata)
    return metadata


def failure_warning(pull: PlatformPull) -> str | None:
    """The log line for a platform whose pull failed in part or whole, else None."""
    if not pull.error:
        return None
    return f"{pull.platform}: {pull.failed_artists} of {pull.artists} artists failed: {pull.error}"
