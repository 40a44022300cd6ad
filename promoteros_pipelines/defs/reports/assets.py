"""The weekly executive report: one PDF set per organisation per week, archived and mailed.

Schedules: Mondays 09:00 in each organisation's own time zone. Dagster schedules have one
time zone each, so there is one schedule per distinct time zone, named
``weekly_executive_report_<zone>``; the zones come from the shipped reference organisations
plus ``PROMOTEROS_REPORT_TIME_ZONES`` (comma-separated) for organisations added later. Each
run reports the week that ended at the local Monday midnight, for that zone's organisations.
"""

import datetime as dt
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import polars as pl
from dagster import (
    AssetExecutionContext,
    Config,
    DagsterInstance,
    DagsterRunStatus,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    asset,
    define_asset_job,
    schedule,
)
from pydantic import Field

from promoteros_pipelines.defs.metadata import markdown_table, table
from promoteros_pipelines.defs.partitions import weekly_partitions
from promoteros_pipelines.defs.reference.loader import organisation_time_zones
from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import Week, week_of_partition
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

if TYPE_CHECKING:
    from promoteros_pipelines.defs.reports.weekly import RunStats

TIME_ZONES_ENV = "PROMOTEROS_REPORT_TIME_ZONES"
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]

# Keys are the reported week's Monday (see defs/partitions.py).


class WeeklyReportConfig(Config):
    time_zone: str = Field(default="", description="Only organisations in this zone; empty = all.")
    organisations: list[str] = Field(default=[], description="Only these slugs; empty = all.")
    send: bool = Field(default=True, description="Mail the PDFs to their recipients.")
    resend: bool = Field(default=False, description="Mail again even if already sent.")


def dagster_run_stats(instance: DagsterInstance, week: Week) -> "RunStats":
    from promoteros_pipelines.defs.reports.weekly import RunStats

    """(job, status) of the runs created in the week and the week before, from run storage."""

    def window(period: Week) -> list[tuple[str, str]]:
        records = instance.get_run_records(
            RunsFilter(statuses=FINISHED, created_after=period.start, created_before=period.end)
        )
        return [(r.dagster_run.job_name, r.dagster_run.status.value) for r in records]

    return RunStats(window(week), window(week.previous()))


@asset(
    group_name="reports",
    partitions_def=weekly_partitions,
    kinds={"pdf", "postgres"},
    owners=["team:reports"],
    # what the reports read; their own tables are the archive and the delivery log
    deps=[
        "artist_momentum",
        "viral_events",
        "tracked_artists",
        "venues",
        "recipients",
        "alert_notifications",
    ],
    metadata=table("report_archive"),
)
def weekly_executive_report(
    context: AssetExecutionContext,
    config: WeeklyReportConfig,
    warehouse: PostgresWarehouse,
    mailer: Mailer,
) -> MaterializeResult:
    """The week's PDF reports per organisation: an executive summary, an ops detail and one
    per venue for its manager, archived in ``report_archive`` and mailed once to each recipient
    of the role (``report_deliveries``). KPIs compare the week with the one before."""
    # imported here: WeasyPrint and matplotlib take seconds to load, and every run process
    # of this code location would pay for them otherwise
    from promoteros_pipelines.defs.reports.archive import archive_reports, deliver_reports
    from promoteros_pipelines.defs.reports.weekly import render_weekly_set

    orgs = kpis.organisations(warehouse, config.time_zone or None)
    if config.organisations:
        orgs = [o for o in orgs if o.slug in config.organisations]
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    files: list[dict[str, str]] = []
    for org in orgs:
        week = week_of_partition(context.partition_key, org.time_zone)
        reports = render_weekly_set(warehouse, org, week, dagster_run_stats(context.instance, week))
        archived = archive_reports(warehouse, org, week.label, reports)
        files.extend({"organisation": org.slug, "pdf": str(a.path)} for a in archived)
        summary = None
        if config.send:
            people = kpis.recipients(warehouse, org.organisation_id)
            summary = deliver_reports(
                warehouse, mailer, org, week.label, archived, people, resend=config.resend
            )
            failures.extend(summary.failed)
        rows.append(
            {
                "organisation": org.slug,
                "week": week.label,
                "pdfs": len(archived),
                "sent": len(summary.sent) if summary else 0,
                "already sent": len(summary.skipped) if summary else 0,
                "failed": len(summary.failed) if summary else 0,
            }
        )
        context.log.info(f"{org.slug} {week.label}: {len(archived)} PDFs archived")
    if failures:
        raise RuntimeError(
            f"{len(failures)} report e-mails failed (marked failed, retried on the next run): "
            + "; ".join(failures[:5])
        )
    return MaterializeResult(
        metadata={
            "organisations": len(orgs),
            "pdfs": sum(r["pdfs"] for r in rows),
            "emails_sent": sum(r["sent"] for r in rows),
            "preview": markdown_table(pl.DataFrame(rows)) if rows else MetadataValue.md("none"),
            # where to open them: the week's folders, then every file
            "folders": MetadataValue.md(
                "\n".join(sorted({f"* `{Path(f['pdf']).parent}`" for f in files})) or "none"
            ),
            "files": markdown_table(pl.DataFrame(files), limit=100)
            if files
            else MetadataValue.text("none"),
        }
    )


weekly_report_job = define_asset_job(
    "weekly_executive_report_job",
    selection=[weekly_executive_report],
    description="Render, archive and mail one week's PDF reports (executive, ops, one per "
    "venue) for each organisation.",
)


def report_time_zones() -> list[str]:
    """Distinct organisation time zones: shipped reference data plus the env override."""
    zones = {z.strip() for z in os.environ.get(TIME_ZONES_ENV, "").split(",") if z.strip()}
    for zone in zones:
        ZoneInfo(zone)  # a typo fails at load time, not on a Monday morning
    return sorted(zones | set(organisation_time_zones())) or ["UTC"]


def previous_week_key(local: dt.datetime) -> str:
    """Partition key of the last complete local week (Monday to Sunday) before ``local``."""
    return (local.date() - dt.timedelta(days=local.weekday() + 7)).isoformat()


def _schedule_for(zone: str) -> ScheduleDefinition:
    name = "weekly_executive_report_" + re.sub(r"[^a-z0-9]+", "_", zone.lower()).strip("_")

    @schedule(
        name=name,
        cron_schedule="0 9 * * 1",
        execution_timezone=zone,
        job=weekly_report_job,
        # on by default: weekly PDFs by e-mail are a promise of the product (no SMTP: outbox)
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Mondays 09:00 {zone}: last week's reports for organisations in {zone}.",
    )
    def _weekly(context: ScheduleEvaluationContext) -> RunRequest:
        local = context.scheduled_execution_time.astimezone(ZoneInfo(zone))
        key = previous_week_key(local)
        return RunRequest(
            run_key=f"{zone}:{key}",
            partition_key=key,
            run_config={"ops": {"weekly_executive_report": {"config": {"time_zone": zone}}}},
        )

    return _weekly


def weekly_report_schedules() -> list[ScheduleDefinition]:
    return [_schedule_for(zone) for zone in report_time_zones()]


weekly_executive_report_schedules = weekly_report_schedules()
