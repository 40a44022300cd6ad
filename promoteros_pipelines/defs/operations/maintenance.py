"""``database_maintenance``, daily at 03:00: retention, the monthly partitions and archive of
``metric_observations``, InfluxDB downsampling, VACUUM (ANALYZE) of the busy tables, and table
and index sizes (numeric metadata, so the UI plots them over time).

Retention deletes settled rows only: webhook inbox rows done or dead, outbox deliveries
delivered or dead, notification-log rows sent or dead (default 90 days), expired or rejected
custom-report rows (their files are already removed hourly by the custom-reports area), old
health rounds, data-quality findings, KPI rows and closed incidents, and Dagster's own run
history (finished runs older than 30 days, deleted through Dagster's API so its event logs go
with them).

Every step says what it did (rows, bytes, partitions) in the maintenance summary: the run's
metadata and a row in ``maintenance_runs`` that the weekly ops report reads. A step that fails
is reported there and opens one system alert (warning) until a later night succeeds; the other
steps still run.
"""

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

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

from promoteros_pipelines.defs.custom_reports.resource import CustomReportsResource
from promoteros_pipelines.defs.metadata import preview_table
from promoteros_pipelines.defs.operations import archive_store, store
from promoteros_pipelines.defs.operations.archive import archive_due
from promoteros_pipelines.defs.operations.downsample import DEFAULT_RAW_RETENTION_DAYS, downsample
from promoteros_pipelines.defs.operations.incidents import State, reconcile
from promoteros_pipelines.domain.maintenance import Step, summary_markdown
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

TIME_ZONE_ENV = "PROMOTEROS_TIME_ZONE"
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
RUN_DELETE_LIMIT = 5_000


class MaintenanceConfig(Config):
    retention_days: int = Field(default=90, ge=0, description="Settled rows kept this long.")
    run_history_days: int = Field(default=30, ge=0, description="Finished Dagster runs kept.")
    archive_after_months: int | None = Field(
        default=None,
        ge=1,
        description="Months of metric_observations kept besides the current one; older months "
        "are archived (default PROMOTEROS_OBSERVATION_RETENTION_MONTHS, else 13).",
    )
    months_ahead: int = Field(default=3, ge=0, description="Empty partitions made in advance.")
    influx_raw_retention_days: int = Field(
        default=DEFAULT_RAW_RETENTION_DAYS,
        ge=1,
        description="InfluxDB raw points older than this become hourly means.",
    )


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


def _run(context: AssetExecutionContext, name: str, work: Callable[[], Step]) -> Step:
    try:
        return work()
    except Exception as error:  # one step failing must not stop the others
        context.log.exception(f"maintenance step {name} failed")
        return Step(name, failed=f"{type(error).__name__}: {error}")


@asset(group_name="operations", kinds={"postgres"}, owners=["team:ops"])
def database_maintenance(
    context: AssetExecutionContext,
    config: MaintenanceConfig,
    warehouse: PostgresWarehouse,
    custom_reports: CustomReportsResource,
    influxdb: InfluxMirror,
) -> MaterializeResult:
    """The nightly upkeep of the warehouse: retention of settled rows (inbox, outbox,
    notification log, custom reports, health rounds) and of Dagster's run history; monthly
    partitions of `metric_observations` made ahead, and months older than the retention
    archived to Parquet in the report store (verified before they are dropped); InfluxDB raw
    points rolled up to hourly means; VACUUM (ANALYZE) of the busy tables so the planner's
    statistics stay true; each table's size recorded so growth shows as a plot. The run's
    metadata is the maintenance summary (also in `maintenance_runs` and the weekly ops
    report): what each step did in rows, bytes and partitions."""
    started = dt.datetime.now(dt.UTC)
    today = started.date()
    cutoff = started - dt.timedelta(days=config.retention_days)

    def retention() -> Step:
        deleted = {table: store.prune(warehouse, table, cutoff) for table in store.RETENTION}
        deleted["dagster_runs"] = prune_run_history(
            context, started - dt.timedelta(days=config.run_history_days)
        )
        return Step("retention", rows=sum(deleted.values()), facts={"rows_deleted": deleted})

    def partitions() -> Step:
        done = archive_store.ensure_months(warehouse, today, config.months_ahead)
        return Step(
            "partitions",
            rows=done["rows_moved_from_default"],
            partitions=done["partitions_created"],
            facts=done,
        )

    def archive() -> Step:
        outcome = archive_due(
            warehouse, custom_reports.store(), today, config.archive_after_months, started
        )
        facts = outcome.summary()
        failed = "; ".join(f"{m}: {why}" for m, why in outcome.failed.items())
        return Step(
            "archive",
            rows=facts["rows_archived"],
            bytes=facts["bytes_written"],
            partitions=facts["partitions_archived"],
            facts=facts,
            failed=failed or None,
        )

    def influx() -> Step:
        done = downsample(warehouse, influxdb, started, config.influx_raw_retention_days)
        return Step("influxdb_downsampling", rows=int(done.get("hourly_points_written", 0) or 0),
                    facts=done)  # fmt: skip

    def vacuum() -> Step:
        store.vacuum_analyze(warehouse)
        return Step("vacuum_analyze", facts={"tables": list(store.BUSY_TABLES)})

    steps = [
        _run(context, name, work)
        for name, work in (
            ("retention", retention),
            ("partitions", partitions),
            ("archive", archive),
            ("influxdb_downsampling", influx),
            ("vacuum_analyze", vacuum),
        )
    ]
    sizes = store.table_sizes(warehouse)
    total = int(sizes["total_bytes"].sum()) if sizes.height else 0
    observations = sizes.filter(table_name="metric_observations")
    steps.append(
        Step(
            "table_sizes",
            bytes=total,
            partitions=len(archive_store.partition_months(warehouse)),
            facts={"tables": sizes.height},
        )
    )
    finished = dt.datetime.now(dt.UTC)
    store.record_maintenance(warehouse, context.run.run_id, started, finished, steps)
    reconcile(
        warehouse,
        [
            State(
                f"maintenance:{step.name}",
                step.failed is not None,
                "warning",
                f"Nightly maintenance: the {step.name.replace('_', ' ')} step failed",
                {"step": step.name, "error": step.failed or ""},
            )
            for step in steps
        ],
        finished,
        recovered_note=True,
    )
    failed = [step.name for step in steps if step.failed]
    context.log.info(f"maintenance: {len(steps)} steps, failed: {failed or 'none'}")
    by_name: dict[str, Any] = {step.name: step for step in steps}
    return MaterializeResult(
        metadata={
            "summary": MetadataValue.md(summary_markdown(steps)),
            "failed_steps": MetadataValue.text(", ".join(failed) or "none"),
            "total_bytes": MetadataValue.int(total),
            "index_bytes": MetadataValue.int(
                int(sizes["index_bytes"].sum()) if sizes.height else 0
            ),
            "metric_observations_bytes": MetadataValue.int(int(observations["total_bytes"].sum())),
            "rows_deleted": MetadataValue.json(by_name["retention"].facts.get("rows_deleted", {})),
            "partitions_archived": MetadataValue.int(by_name["archive"].partitions),
            "rows_archived": MetadataValue.int(by_name["archive"].rows),
            "archive_bytes": MetadataValue.int(by_name["archive"].bytes),
            "partitions_created": MetadataValue.int(by_name["partitions"].partitions),
            "influxdb_hourly_points": MetadataValue.int(by_name["influxdb_downsampling"].rows),
            "vacuumed": MetadataValue.text(", ".join(store.BUSY_TABLES)),
            "sizes": preview_table(sizes, limit=25),
        }
    )


database_maintenance_job = define_asset_job(
    "database_maintenance_job",
    selection=["database_maintenance"],
    description="Retention, partitions and archive, InfluxDB downsampling, VACUUM (ANALYZE), "
    "table sizes.",
)
database_maintenance_nightly = ScheduleDefinition(
    name="database_maintenance_nightly",
    job=database_maintenance_job,
    cron_schedule="0 3 * * *",
    execution_timezone=os.environ.get(TIME_ZONE_ENV, "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
    description="03:00 in the deployment's time zone (PROMOTEROS_TIME_ZONE, default UTC): "
    "retention of settled rows and old Dagster runs, monthly partitions and the archive of old "
    "months, InfluxDB downsampling, VACUUM (ANALYZE), table sizes.",
)
