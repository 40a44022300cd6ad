"""``ticket_sales_influxdb_mirror``: sales points to InfluxDB, run with the metric mirror."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from promoteros_pipelines.defs.ticketing.assets import GROUP, OWNERS, ticket_sales
from promoteros_pipelines.defs.ticketing.influx_store import mirror_sales, pending_sales
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


@asset(group_name=GROUP, kinds={"postgres", "influxdb"}, owners=OWNERS, deps=[ticket_sales])
def ticket_sales_influxdb_mirror(
    context: AssetExecutionContext, warehouse: PostgresWarehouse, influxdb: InfluxMirror
) -> MaterializeResult:
    """Ticket sales points copied to InfluxDB for dashboards, with the metric observations
    (the `discover_and_pull` job runs both): measurement `ticket_sales`, tags show, venue and
    organisation; fields tickets sold, gross, sell-through and sales velocity (tickets per
    hour since the show's previous point). Skipped when INFLUXDB_URL is not set; after an
    outage it catches up from its high-water mark."""
    if not influxdb.enabled:
        context.log.info("INFLUXDB_URL is not set: the InfluxDB mirror is disabled")
        return MaterializeResult(metadata={"enabled": MetadataValue.bool(False)})
    report = mirror_sales(warehouse, influxdb)
    return MaterializeResult(
        metadata={
            "enabled": MetadataValue.bool(True),
            "points_mirrored": MetadataValue.int(report.rows),
            "write_requests": MetadataValue.int(report.requests),
            "points_waiting": MetadataValue.int(pending_sales(warehouse)),
            "high_water_mark": MetadataValue.text(str(report.high_water_mark)),
        }
    )
