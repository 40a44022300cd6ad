"""What ``promoteros report weekly`` does once its arguments are valid (heavy imports here)."""

import os
from pathlib import Path

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.archive import (
    DeliverySummary,
    archive_reports,
    deliver_reports,
)
from promoteros_pipelines.defs.reports.periods import Week
from promoteros_pipelines.defs.reports.weekly import RunStats, render_weekly_set
from promoteros_pipelines.resources.mailer import DEFAULT_FROM, MAIL_FROM_ENV, SMTP_URL_ENV, Mailer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready


def _run_stats(week: Week) -> RunStats:
    """Dagster's run history when its instance is reachable; the report says so when not."""
    try:
        from dagster import DagsterInstance

        from promoteros_pipelines.defs.reports.assets import dagster_run_stats
        from promoteros_pipelines.runtime.dagster_home import ensure_dagster_home

        ensure_dagster_home()
        with DagsterInstance.get() as instance:
            return dagster_run_stats(instance, week)
    except Exception:  # run history is one tile; the rest of the report still matters
        return RunStats(available=False)


def render_and_archive(
    slug: str, week: Week, out: Path | None, *, send: bool, resend: bool
) -> tuple[list[Path], DeliverySummary | None]:
    warehouse = PostgresWarehouse(database_url=ensure_ready().warehouse_url)
    org = kpis.organisation(warehouse, slug)
    week = week.in_zone(org.time_zone)
    reports = render_weekly_set(warehouse, org, week, _run_stats(week))
    archived = archive_reports(warehouse, org, week.label, reports)
    written = [item.path for item in archived]
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for item in archived:
            target = out / item.report.filename
            target.write_bytes(item.report.pdf)
            written.append(target)
    summary = None
    if send:
        mailer = Mailer(
            smtp_url=os.environ.get(SMTP_URL_ENV) or None,
            mail_from=os.environ.get(MAIL_FROM_ENV) or DEFAULT_FROM,
        )
        people = kpis.recipients(warehouse, org.organisation_id)
        summary = deliver_reports(
            warehouse, mailer, org, week.label, archived, people, resend=resend
        )
    return written, summary
