"""``approvals``: the approval gates as people see them in the catalog: what waits, for how
long, at what priority, and the week's figures."""

from datetime import UTC, datetime, timedelta

import polars as pl
from dagster import (
    AssetExecutionContext,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from promoteros_pipelines.defs.approvals.store import list_approvals, weekly_statistics
from promoteros_pipelines.defs.metadata import preview_table, table_facts
from promoteros_pipelines.domain.approvals import describe
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

SHOWN = 20


def pending_frame(warehouse: PostgresWarehouse, now: datetime) -> pl.DataFrame:
    """Pending approvals, most urgent then oldest first, with their age in hours."""
    rows = list_approvals(warehouse, status="pending", limit=500)
    return pl.DataFrame(
        {
            "approval": [row.id for row in rows],
            "what": [describe(row.kind, row.subject) for row in rows],
            "priority": [row.priority for row in rows],
            "age_hours": [
                round((now - row.requested_at).total_seconds() / 3600, 1) for row in rows
            ],
            "expires_at": [row.expires_at for row in rows],
            "requested_by": [row.requested_by for row in rows],
        },
        schema={
            "approval": pl.String,
            "what": pl.String,
            "priority": pl.String,
            "age_hours": pl.Float64,
            "expires_at": pl.Datetime("us", "UTC"),
            "requested_by": pl.String,
        },
    )


@asset(
    name="approvals",
    group_name="approvals",
    kinds={"postgres"},
    owners=["team:ops"],
    description=(
        "Requests that need a person's decision before work leaves the company: booking "
        "offers and pipeline triggers on PROMOTEROS_TRIGGERS_REQUIRING_APPROVAL. Each waits "
        "for the people its policy names (never the requester), is approved, rejected, "
        "auto-approved within a daily cap, or rejected by timeout. The metadata lists what is "
        "pending, most urgent and oldest first, and the last seven days' figures. Decide with "
        "`promoteros approvals approve|reject`, the mailed one-time link, or Slack via n8n."
    ),
)
def approvals(context: AssetExecutionContext, warehouse: PostgresWarehouse) -> MaterializeResult:
    now = datetime.now(UTC)
    pending = pending_frame(warehouse, now)
    week = weekly_statistics(warehouse, now - timedelta(days=7), now + timedelta(seconds=1))
    context.log.info("%d approvals pending", pending.height)
    return MaterializeResult(
        metadata={
            **table_facts(warehouse, "approvals"),
            "pending": pending.height,
            "oldest_pending_hours": max(pending["age_hours"].to_list(), default=0.0),
            "pending_by_priority": preview_table(pending, limit=SHOWN),
            "decided_7d": week["count"],
            "median_hours_to_decision_7d": MetadataValue.float(week["median_hours"] or 0.0),
            "auto_approved_share_7d": MetadataValue.text(f"{week['auto_share']:.0%}"),
            "expired_share_7d": MetadataValue.text(f"{week['expired_share']:.0%}"),
        }
    )


approvals_overview = define_asset_job(
    "approvals_overview",
    selection=[approvals],
    description="Refreshes the approvals asset's picture of what waits for a decision.",
)

approvals_overview_hourly = ScheduleDefinition(
    name="approvals_overview_hourly",
    job=approvals_overview,
    cron_schedule="7 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every hour at :07, the approvals asset lists what is pending, by priority.",
)
