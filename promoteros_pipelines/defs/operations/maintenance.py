"""``database_maintenance``, daily at 03:00: VACUUM (ANALYZE) of the busy tables, table and
index sizes (numeric metadata, so the UI plots them over time), and retention.

Retention deletes settled rows only: webhook inbox rows done or dead, outbox deliveries
delivered or dead, notification-log rows sent or dead (default 90 days), expired or rejected
custom-report rows (their files are already removed hourly by the custom-reports area), old
health rounds, data-quality findings, KPI rows and closed incidents, and Dagster's own run
history (finished runs older than 30 days, deleted through Dagster's API so its event logs go
with them).
"""

import datetime as dt
import os

from dagster import (
    AssetExecutionContext,
    Config,
    DagsterRunStatus,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    RunsFilter,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from pydantic import Field

from promoteros_pipelines.defs.metadata import preview_table
from promoteros_pipelines.defs.operations import store
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

TIME_ZONE_ENV = "PROMOTEROS_TIME_ZONE"
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
RUN_DELETE_LIMIT = 5_000


class MaintenanceConfig(Config):
    retention_days: int = Field(default=90, ge=0, description="Settled rows kept this long.")
    run_history_days: int = Field(default=30, ge=0, description="Finished Dagster runs kept.")


def prune_run_history(context: AssetExecutionContext, cutoff: dt.datetime) -> int:
    """Delete finished runs last updated before ``cutoff`` (never this run, never one running)."""
    records = context.instance.get_run_records(
        RunsFilter(statuses=FINISHED, updated_before=cutoff), limit=RUN_DELETE_LIMIT
    )
    deleted = 0
    for record in records:
        if record.dagster_run.run_id != context.run.run_id:
            context.instance.delete_run(record.dagster_run.run_id)
            deleted += 1
    return deleted


@asset(group_name="operations", kinds={"postgres"}, owners=["team:ops"])
def database_maintenance(
    context: AssetExecutionContext, config: MaintenanceConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """The nightly upkeep of the warehouse: VACUUM (ANALYZE) of the busy tables so the planner's
    statistics stay true, each table's size (table, indexes, total) recorded so growth shows
    as a plot, and retention of settled rows (inbox, outbox, notification log, custom
    reports, health rounds) and of Dagster's run history. The run's metadata is the
    maintenance summary: rows deleted per step and bytes per table."""
    now = dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=config.retention_days)
    deleted = {table: store.prune(warehouse, table, cutoff) for table in store.RETENTION}
    deleted["dagster_runs"] = prune_run_history(
        context, now - dt.timedelta(days=config.run_history_days)
    )
    store.vacuum_analyze(warehouse)
    sizes = store.table_sizes(warehouse)
    total = int(sizes["total_bytes"].sum()) if sizes.height else 0
    context.log.info(f"maintenance: deleted {deleted}, {total:,} bytes in the schema")
    return MaterializeResult(
        metadata={
            "total_bytes": MetadataValue.int(total),
            "index_bytes": MetadataValue.int(
                int(sizes["index_bytes"].sum()) if sizes.height else 0
            ),
            "metric_observations_bytes": MetadataValue.int(
                int(sizes.filter(table_name="metric_observations")["total_bytes"].sum())
            ),
            "rows_deleted": MetadataValue.json(deleted),
            "vacuumed": MetadataValue.text(", ".join(store.BUSY_TABLES)),
            "sizes": preview_table(sizes, limit=25),
        }
    )


database_maintenance_job = define_asset_job(
    "database_maintenance_job",
    selection=["database_maintenance"],
    description="VACUUM (ANALYZE), table sizes and retention.",
)
database_maintenance_nightly = ScheduleDefinition(
    name="database_maintenance_nightly",
    job=database_maintenance_job,
    cron_schedule="0 3 * * *",
    execution_timezone=os.environ.get(TIME_ZONE_ENV, "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="03:00 in the deployment's time zone (PROMOTEROS_TIME_ZONE, default UTC): "
    "VACUUM (ANALYZE), table sizes, retention of settled rows and old Dagster runs.",
)
