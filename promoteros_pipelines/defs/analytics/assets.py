"""Daily analytics: each artist's numbers per platform and day, and the momentum score.

Days are UTC days, one partition each, so every organisation reads the same table; each
organisation's 02:00 schedule (``schedules_analytics``) computes the UTC day that just closed.
"""

import datetime as dt
from collections.abc import Iterator

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    BackfillPolicy,
    Backoff,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from promoteros_pipelines.defs import checks, freshness
from promoteros_pipelines.defs.metadata import preview_table, table, table_facts, with_artist_names
from promoteros_pipelines.defs.partitions import analytics_daily
from promoteros_pipelines.domain.analytics import (
    DAILY_FEATURES_SCHEMA,
    daily_features,
    observation_window,
    platform_momentum,
)
from promoteros_pipelines.domain.analytics import (
    artist_momentum as score_artists,
)
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_VIRAL_THRESHOLDS
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

GROUP = "analytics"
KINDS = {"polars", "postgres"}
OWNERS = ["team:analytics"]
DAILY_KEY = ["artist_id", "platform", "day"]
MOMENTUM_KEY = ["artist_id", "day"]
FEATURE_METRICS = ("followers", "views", "likes", "popularity")
RETRY = RetryPolicy(max_retries=2, delay=30, backoff=Backoff.EXPONENTIAL)


OBSERVATIONS_SQL = """
SELECT artist_id, platform, metric, observed_at, value
FROM promoteros.metric_observations
WHERE observed_at >= $1 AND observed_at < $2 AND metric = ANY($3)
"""


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def read_observations(
    warehouse: PostgresWarehouse, since: dt.datetime, until: dt.datetime
) -> pl.DataFrame:
    """Raw observations of the metrics the analytics read, observed in [since, until)."""
    return warehouse.read_frame(OBSERVATIONS_SQL, [since, until, list(FEATURE_METRICS)])


FEATURE_BACKFILL_DAYS = 14
"""Days computed at a time: a backfill is one run (so `dagster asset materialize
--partition-range` works), and inside it each chunk re-reads ~32 days of history; 14 keeps a
chunk of 100k artist-platforms under 1.5 GB, whatever the length of the range."""

BACKFILL = BackfillPolicy.single_run()


def _days(context: AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """First and last day of the partitions this run covers (a backfill may cover many)."""
    window = context.partition_time_window
    return window.start.date(), (window.end - dt.timedelta(days=1)).date()


def day_chunks(
    first: dt.date, last: dt.date, days: int = FEATURE_BACKFILL_DAYS
) -> list[tuple[dt.date, dt.date]]:
    """[first, last] cut into consecutive (start, end) ranges of at most ``days`` days."""
    chunks = []
    while first <= last:
        end = min(first + dt.timedelta(days=days - 1), last)
        chunks.append((first, end))
        first = end + dt.timedelta(days=1)
    return chunks


def merged_results(per_chunk: list[list[AssetCheckResult]]) -> list[AssetCheckResult]:
    """One result per check for the whole run: the first chunk where it failed, else the last."""
    merged: dict[str | None, AssetCheckResult] = {}
    for results in per_chunk:
        for result in results:
            held = merged.get(result.check_name)
            if held is None or held.passed:
                merged[result.check_name] = result
    return list(merged.values())


def _previous_counts(
    warehouse: PostgresWarehouse, table: str, first: dt.date, days: int = 7
) -> list[int]:
    counts = warehouse.read_frame(
        f"SELECT day, count(*) AS n FROM {warehouse.qualified(table)}"
        " WHERE day >= $1 AND day < $2 GROUP BY day",
        [first - dt.timedelta(days=days), first],
    )
    return [int(n) for n in counts["n"]] if counts.height else []


def _fastest_growing(frame: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """Biggest one-day follower growth among audiences the viral detector would consider
    (at least its floor of followers the day before), so a 23-follower account is not news."""
    if frame.is_empty():
        return frame.select("artist_id", "platform", "day", "followers", "growth_1d", "growth_z")
    floor = DEFAULT_VIRAL_THRESHOLDS.audience_floor
    before = pl.col("followers") / (1 + pl.col("growth_1d"))
    return (
        frame.drop_nulls("growth_1d")
        .filter(before >= floor)
        .sort("growth_1d", descending=True)
        .head(limit)
        .select("artist_id", "platform", "day", "followers", "growth_1d", "growth_z")
    )


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    partitions_def=analytics_daily,
    backfill_policy=BACKFILL,
    retry_policy=RETRY,
    deps=["metric_observations"],
    metadata=table("daily_artist_metrics"),
    check_specs=checks.quality_specs("daily_artist_metrics", row_count=True),
    freshness_policy=freshness.DAILY,
)
def daily_artist_metrics(
    context: AssetExecutionContext, warehouse: PostgresWarehouse
) -> Iterator[AssetCheckResult | MaterializeResult]:
    """Each artist's numbers per platform and UTC day: followers at day end, daily change,
    growth over 1, 7 and 28 days, engagements and engagement rate (YouTube views, TikTok and
    Instagram likes, per follower), and the artist's own 28-day baseline (median and MAD) with
    a robust z-score saying how unusual today's growth is for this artist.

    One row per (artist_id, platform, day); re-running a day replaces that day atomically.
    """
    first, last = _days(context)
    written = observations_read = artists = 0
    per_chunk: list[list[AssetCheckResult]] = []
    fastest: list[pl.DataFrame] = []
    for start, end in day_chunks(first, last):
        observations = read_observations(
            warehouse, _midnight(observation_window(start)), _midnight(end + dt.timedelta(days=1))
        )
        frame = (
            daily_features(observations.lazy(), start=start, end=end).collect()
            if observations.height
            else pl.DataFrame(schema=DAILY_FEATURES_SCHEMA)
        )
        ranges = {
            "followers_not_negative": pl.col("followers") >= 0,
            "growth_1d_finite": checks.finite("growth_1d"),
            "growth_7d_finite": checks.finite("growth_7d"),
            "growth_z_finite": checks.finite("growth_z"),
            "engagement_rate_not_negative": pl.col("engagement_rate") >= 0,
        }
        previous = _previous_counts(warehouse, "daily_artist_metrics", start)
        results = [
            checks.keys_not_null(frame, DAILY_KEY),
            checks.keys_unique(frame, DAILY_KEY),
            checks.values_in_range(frame, ranges),
            checks.partition_row_count(frame.height // ((end - start).days + 1), previous),
        ]
        yield from checks.stop_before_writing(f"daily_artist_metrics {start} to {end}", results)
        written += warehouse.replace_partition(
            "daily_artist_metrics", frame, "day", start, end + dt.timedelta(days=1)
        )
        per_chunk.append(results)
        observations_read += observations.height
        artists = max(artists, frame["artist_id"].n_unique())
        fastest.append(_fastest_growing(frame))
    yield MaterializeResult(
        metadata={
            **table_facts(warehouse, "daily_artist_metrics", exact=False),
            "days": MetadataValue.text(f"{first} to {last}"),
            "rows": MetadataValue.int(written),
            "artists": MetadataValue.int(artists),
            "observations_read": MetadataValue.int(observations_read),
            "fastest_growing": preview_table(
                with_artist_names(
                    warehouse,
                    pl.concat(fastest).sort("growth_1d", descending=True).head(10),
                ),
                percent=["growth_1d"],
            ),
        },
        check_results=merged_results(per_chunk),
    )


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    partitions_def=analytics_daily,
    backfill_policy=BACKFILL,
    retry_policy=RETRY,
    deps=[daily_artist_metrics],
    check_specs=checks.quality_specs("artist_momentum", row_count=True),
    freshness_policy=freshness.DAILY,
    metadata=table("artist_momentum"),
)
def artist_momentum(
    context: AssetExecutionContext, warehouse: PostgresWarehouse
) -> Iterator[AssetCheckResult | MaterializeResult]:
    """Momentum score 0-100 per artist and day: how strongly an artist is moving, judged
    against peers of the same size tier on the same platform (emerging, developing,
    mid-level, mainstream). It blends audience size (log scale), 7-day growth versus peers and
    engagement, keeps each component, the lead platform and a plain-English "why" beside it,
    and is versioned (`momentum_version`) so a formula change never silently rewrites history.

    One row per (artist_id, day); re-running a day replaces it atomically.
    """
    first, last = _days(context)
    written = 0
    per_chunk: list[list[AssetCheckResult]] = []
    tops: list[pl.DataFrame] = []
    for start, end in day_chunks(first, last):
        frame = _momentum(warehouse, start, end)
        ranges = (
            {"score_0_to_100": pl.col("momentum_score").is_between(0, 100)}
            if frame.width > 2
            else {}
        )
        previous = _previous_counts(warehouse, "artist_momentum", start)
        results = [
            checks.keys_not_null(frame, MOMENTUM_KEY),
            checks.keys_unique(frame, MOMENTUM_KEY),
            checks.values_in_range(frame, ranges),
            checks.partition_row_count(frame.height // ((end - start).days + 1), previous),
        ]
        yield from checks.stop_before_writing(f"artist_momentum {start} to {end}", results)
        written += warehouse.replace_partition(
            "artist_momentum", frame, "day", start, end + dt.timedelta(days=1)
        )
        per_chunk.append(results)
        if frame.width > 2:
            tops.append(
                frame.drop_nulls("momentum_score")
                .sort("momentum_score", descending=True)
                .select("artist_id", "day", "momentum_score", "peer_tier", "lead_platform", "why")
                .head(10)
            )
    top = pl.concat(tops).sort("momentum_score", descending=True) if tops else pl.DataFrame()
    yield MaterializeResult(
        metadata={
            **table_facts(warehouse, "artist_momentum", exact=False),
            "days": MetadataValue.text(f"{first} to {last}"),
            "rows": MetadataValue.int(written),
            "top_momentum": preview_table(with_artist_names(warehouse, top.head(10)), percent=[]),
        },
        check_results=merged_results(per_chunk),
    )


MOMENTUM_COLUMNS = (
    "artist_id",
    "day",
    "lead_platform",
    "followers",
    "growth_7d",
    "engagement_rate",
    "peer_tier",
    "peer_growth_median",
    "peer_engagement_median",
    "peer_count",
    "audience_component",
    "growth_component",
    "engagement_component",
    "momentum_score",
    "why",
    "momentum_version",
    "platforms_scored",
)


def _momentum(warehouse: PostgresWarehouse, start: dt.date, end: dt.date) -> pl.DataFrame:
    features = warehouse.read_frame(
        f"SELECT * FROM {warehouse.qualified('daily_artist_metrics')}"
        " WHERE day >= $1 AND day <= $2",
        [start, end],
    )
    if not features.height:
        return pl.DataFrame(schema={"artist_id": pl.Int64, "day": pl.Date})
    return score_artists(platform_momentum(features.lazy())).collect().select(MOMENTUM_COLUMNS)
