"""``metric_observations``: the table every platform pull and scraper batch writes into."""

from dagster import MaterializeResult, MetadataValue, asset

from promoteros_pipelines.defs import freshness
from promoteros_pipelines.defs.metadata import table, table_facts
from promoteros_pipelines.defs.metrics.assets import GROUP, OWNERS, platform_metrics
from promoteros_pipelines.defs.metrics.scraper import scraper_metrics
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

NEWEST = "SELECT max(observed_at), max(ingested_at) FROM promoteros.metric_observations"


@asset(
    group_name=GROUP,
    kinds={"postgres"},
    owners=OWNERS,
    deps=[platform_metrics, scraper_metrics],
    metadata=table("metric_observations"),
    freshness_policy=freshness.OBSERVATIONS,
)
def metric_observations(warehouse: PostgresWarehouse) -> MaterializeResult:
    """Every metric value ever observed for a tracked artist, from the platform APIs (source
    `api`) and from scrapers via n8n webhooks (source `scraper`): one row per (artist_id,
    platform, metric, observed_at), so a re-pulled window or a redelivered webhook overwrites
    instead of duplicating. Everything in analytics reads from here. Recorded after each pull
    or scraper batch that wrote into it."""
    with warehouse.connect() as conn:
        newest_observed, newest_ingested = conn.execute(NEWEST).fetchone() or (None, None)
    return MaterializeResult(
        metadata={
            **table_facts(warehouse, "metric_observations", exact=False),
            "newest_observation": MetadataValue.text(str(newest_observed or "none yet")),
            "newest_ingested": MetadataValue.text(str(newest_ingested or "none yet")),
        }
    )
