"""The stored-table checks, declared on the assets that own the tables, and the
``data_validation`` job that runs them every 4 hours without re-materialising anything.

Each table's checks are one ``multi_asset_check``: one read of the table yields every check
result, and every finding is also written to ``data_quality_log`` (a failed check does not fail
the run in Dagster OSS; ``check_alerts`` turns the failures into system alerts).
"""

import datetime as dt
import json
from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetSelection,
    DefaultScheduleStatus,
    MetadataValue,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
    multi_asset_check,
)

from promoteros_pipelines.defs.operations import store, validation
from promoteros_pipelines.domain.quality import Finding
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

DESCRIPTIONS = {
    validation.RANGES: "Stored rows within their documented ranges (counts not negative, "
    "scores 0-100, capacity > 0, engagement rate 0-100, values finite, nothing in the future).",
    validation.ROW_COUNT: "Yesterday's rows (UTC) within 50%-150% of the median of the 7 days "
    "before (a partial load or a double one).",
    validation.DUPLICATES: "No reading stored twice within one second; duplicates are deleted "
    "(auto-fix, listed in data_quality_log).",
    validation.GLITCHES: "One-sample glitches are marked excluded in observation_glitches "
    "(auto-fix, never deleted), so they never become viral alerts.",
    validation.BACKWARDS: "No counter falls by more than its own noise in the last 26 hours.",
    validation.FROZEN: "No series that normally moves repeats one value for 3 days or more.",
    validation.ORPHANS: "Every artist-platform observed in the last 26 hours has its platform id.",
    validation.ONE_ARTIST: "A platform id (trimmed, any case) resolves to one artist.",
    validation.IDENTITY: "No act split across artist rows that share a name but no platform.",
}
DAGSTER_SEVERITY = {
    "critical": AssetCheckSeverity.ERROR,
    "warning": AssetCheckSeverity.WARN,
    "info": AssetCheckSeverity.WARN,
}


def check_result(finding: Finding) -> AssetCheckResult:
    """A finding as Dagster shows it; our severity rides in the metadata."""
    metadata = {
        "severity": MetadataValue.text(finding.severity),
        "auto_fixed": MetadataValue.bool(finding.auto_fixed),
        "details": MetadataValue.json(json.loads(json.dumps(dict(finding.details), default=str))),
    }
    if finding.after is not None:
        metadata["after"] = MetadataValue.json(dict(finding.after))
    return AssetCheckResult(
        asset_key=finding.asset,
        check_name=finding.check,
        passed=finding.passed,
        severity=DAGSTER_SEVERITY[finding.severity],
        metadata=metadata,
    )


def _table_checks(asset: str) -> AssetChecksDefinition:
    specs = [
        AssetCheckSpec(name, asset=asset, description=DESCRIPTIONS[name])
        for name in validation.CHECKS[asset]
    ]

    @multi_asset_check(specs=specs, name=f"validate_{asset}", can_subset=False)
    def _validate(
        context: AssetCheckExecutionContext, warehouse: PostgresWarehouse
    ) -> Iterator[AssetCheckResult]:
        now = dt.datetime.now(dt.UTC)
        findings = validation.ROUNDS[asset](warehouse, now)
        store.log_findings(warehouse, now, findings)
        failed = [f.check for f in findings if not f.passed]
        context.log.info(f"{asset}: {len(findings)} checks, failed: {failed or 'none'}")
        for finding in findings:
            yield check_result(finding)

    return _validate


TABLE_CHECKS = [_table_checks(asset) for asset in validation.ROUNDS]

data_validation = define_asset_job(
    "data_validation",
    selection=AssetSelection.checks(*TABLE_CHECKS),
    executor_def=in_process_executor,
    description="Validate the stored tables (ranges, row counts, duplicates, glitches, "
    "anomalies that are not virality, cross-platform identity) and log every finding.",
)

data_validation_every_4_hours = ScheduleDefinition(
    name="data_validation_every_4_hours",
    job=data_validation,
    cron_schedule="10 */4 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every 4 hours (at :10, after the hourly pulls): the data_validation checks.",
)
