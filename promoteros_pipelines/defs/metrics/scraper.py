"""Scraper observations that arrived by webhook, upserted into the metric history."""

import time

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetSelection,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    define_asset_job,
    in_process_executor,
)
from pydantic import Field

from promoteros_pipelines.defs.inbox.store import format_event_ids
from promoteros_pipelines.defs.metadata import markdown_table
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

GROUP = "metrics"
KINDS = {"polars", "postgres"}
OWNERS = ["team:data-platform"]
OBSERVATION_KEY = ["artist_id", "platform", "metric", "observed_at"]
PENDING_KEY = ["platform", "external_id", "metric", "observed_at"]

# Observations of the given events, one row each, typed by PostgreSQL from the stored JSON.
READ_OBSERVATIONS = """
SELECT e.event_id, o.platform, o.external_id, o.artist_name, o.metric,
       o.value::float8 AS value, o.observed_at
FROM {events} AS e
CROSS JOIN LATERAL jsonb_to_recordset(e.payload -> 'observations') AS o(
    platform text, external_id text, artist_name text, metric text,
    value float8, observed_at timestamptz)
WHERE e.event_id = ANY($1) AND e.event_type = 'scraper.metrics'
"""

# Known ids: the scraper never overwrites a value another source (the platform API) recorded.
UPSERT_KNOWN = """
INSERT INTO {observations} (artist_id, platform, metric, observed_at, value, source)
SELECT i.artist_id, s.platform, s.metric, s.observed_at, s.value, 'scraper'
FROM stage_scraper AS s
JOIN {platform_ids} AS i USING (platform, external_id)
ON CONFLICT (artist_id, platform, metric, observed_at) DO UPDATE
SET value = EXCLUDED.value, ingested_at = now()
WHERE {observations}.source = 'scraper' AND {observations}.value <> EXCLUDED.value
"""

UPSERT_PENDING = """
INSERT INTO {pending} (platform, external_id, metric, observed_at, value, artist_name, event_id)
SELECT s.platform, s.external_id, s.metric, s.observed_at, s.value, s.artist_name, s.event_id
FROM stage_scraper AS s
WHERE NOT EXISTS (
    SELECT 1 FROM {platform_ids} AS i
    WHERE i.platform = s.platform AND i.external_id = s.external_id)
ON CONFLICT (platform, external_id, metric, observed_at) DO UPDATE
SET value = EXCLUDED.value, artist_name = coalesce(EXCLUDED.artist_name, {pending}.artist_name),
    event_id = EXCLUDED.event_id
WHERE {pending}.value <> EXCLUDED.value
"""

COUNT_PENDING = """
SELECT count(*) FROM stage_scraper AS s
WHERE NOT EXISTS (
    SELECT 1 FROM {platform_ids} AS i
    WHERE i.platform = s.platform AND i.external_id = s.external_id)
"""


class ScraperMetricsConfig(Config):
    """Which stored ``scraper.metrics`` webhook events this run ingests (set by the sensor)."""

    event_ids: list[int] = Field(description="webhook_events.event_id values to ingest.")


def latest_per_key(observations: pl.DataFrame) -> pl.DataFrame:
    """One row per (platform, external id, metric, moment): the latest event's value wins.

    Two events of one batch may carry the same observation (a re-scrape); PostgreSQL refuses
    to upsert one key twice in a statement, and the later event is the scraper's correction.
    """
    return observations.sort("event_id").unique(
        subset=PENDING_KEY, keep="last", maintain_order=True
    )


@asset(group_name=GROUP, kinds=KINDS, owners=OWNERS, deps=["webhook_events"])
def scraper_metrics(
    context: AssetExecutionContext, config: ScraperMetricsConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """Follower, view and other counts sent by the scrapers through n8n (`scraper.metrics`
    webhooks), added to the artist metric history (`metric_observations`, source `scraper`).

    Observations for platform ids of tracked artists are stored at once; the others wait in
    `pending_observations` until the artist is tracked (by a watch request or discovery).
    Keyed by (artist, platform, metric, observed_at): receiving the same webhook twice
    changes nothing, and a scraper value never overwrites one read from the platform API.
    """
    started = time.monotonic()
    events = warehouse.qualified("webhook_events")
    frame = warehouse.read_frame(READ_OBSERVATIONS.format(events=events), [config.event_ids])
    found = set(frame.get_column("event_id").unique().to_list()) if frame.height else set()
    missing = sorted(set(config.event_ids) - found)
    if missing:
        context.log.warning(
            "%d of %d events have no scraper observations (not found, another type, or empty): %s",
            len(missing),
            len(config.event_ids),
            missing[:20],
        )
    batch = latest_per_key(frame)
    stored, pending = _store(warehouse, batch)
    per_platform = batch.group_by("platform").agg(pl.len().alias("observations")).sort("platform")
    return MaterializeResult(
        metadata={
            "events": MetadataValue.int(len(config.event_ids)),
            "event_ids": MetadataValue.text(format_event_ids(config.event_ids)),
            "observations_received": MetadataValue.int(frame.height),
            "observations_inserted_or_changed": MetadataValue.int(stored),
            "observations_pending_unknown_artist": MetadataValue.int(pending),
            "rows_per_platform": markdown_table(per_platform),
            "duration_seconds": MetadataValue.float(round(time.monotonic() - started, 3)),
        }
    )


def _store(warehouse: PostgresWarehouse, batch: pl.DataFrame) -> tuple[int, int]:
    """Upsert known and pending observations in one transaction; return (changed, pending)."""
    if batch.is_empty():
        return 0, 0
    names = {
        "observations": warehouse.qualified("metric_observations"),
        "pending": warehouse.qualified("pending_observations"),
        "platform_ids": warehouse.qualified("artist_platform_ids"),
    }
    with warehouse.arrow_connection() as conn, conn.cursor() as cursor:
        # Same lock as artist tracking: an id tracked meanwhile either sees these rows in
        # pending_observations (and moves them) or is already visible to the join here.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('promoteros.track_artists'))")
        cursor.execute(
            "CREATE TEMP TABLE stage_scraper (event_id bigint, platform text, external_id text,"
            " artist_name text, metric text, value float8, observed_at timestamptz)"
            " ON COMMIT DROP"
        )
        cursor.adbc_ingest("stage_scraper", batch.to_arrow(), mode="append", temporary=True)
        cursor.execute(UPSERT_KNOWN.format(**names))
        changed = cursor.rowcount
        cursor.execute(COUNT_PENDING.format(**names))
        pending_row = cursor.fetchone()
        cursor.execute(UPSERT_PENDING.format(**names))
        conn.commit()
    return changed, int(pending_row[0]) if pending_row else 0


# The latest-metrics table is refreshed in the same run when the code location defines it;
# a string selection names it without failing while it does not exist yet.
INGEST_SELECTION = AssetSelection.from_string(
    'key:"scraper_metrics" or key:"metric_observations" or key:"artist_metrics_latest"'
)

ingest_scraper_metrics = define_asset_job(
    "ingest_scraper_metrics",
    selection=INGEST_SELECTION,
    description="Ingest a micro-batch of scraper.metrics webhooks (started by a sensor).",
    tags={"promoteros/event_type": "scraper.metrics"},
    # Two small sequential steps: a step subprocess each would double the interpreter starts.
    executor_def=in_process_executor,
)
