"""Custom reports: one run per ``report.request`` webhook, and the hourly cleanup of expired ones.

The work itself lives in ``promoteros_pipelines.defs.custom_reports.service``; these ops wire it to
Dagster's config, resources, logs and metadata.
"""

from typing import Any

from dagster import (
    Config,
    DefaultScheduleStatus,
    Failure,
    MetadataValue,
    OpExecutionContext,
    Output,
    ScheduleDefinition,
    job,
    op,
)
from pydantic import Field

from promoteros_pipelines.defs.custom_reports.request import ReportRefused
from promoteros_pipelines.defs.custom_reports.resource import CustomReportsResource
from promoteros_pipelines.defs.custom_reports.service import expire_reports, produce_report
from promoteros_pipelines.report_store.store import ReportStoreError
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import ConfigurationError


class CustomReportConfig(Config):
    """The request event: its id (the report's natural key) and its payload as received."""

    event_id: int = Field(description="webhook_events.event_id of the report.request")
    request: dict[str, Any] = Field(description="The report.request payload")


def _pdf_renderer():
    """The PDF renderer, imported only when a PDF is asked for (WeasyPrint is heavy)."""
    from promoteros_pipelines.defs.custom_reports.pdf import render_report_pdf

    return render_report_pdf


@op(
    name="build_custom_report",
    description="Builds the requested report (csv, xlsx, json or pdf), stores it, and mails "
    "the requester a download link that expires after 24 hours. Re-running the same event "
    "mails nothing twice.",
    tags={"kind": "report"},
)
def build_custom_report(
    context: OpExecutionContext,
    config: CustomReportConfig,
    warehouse: PostgresWarehouse,
    custom_reports: CustomReportsResource,
    mailer: Mailer,
) -> Output[None]:
    wants_pdf = config.request.get("format", "pdf") == "pdf"
    try:
        signer = custom_reports.signer()
    except ConfigurationError as error:
        raise Failure(description=str(error)) from None
    try:
        outcome = produce_report(
            warehouse=warehouse,
            store=custom_reports.store(),
            signer=signer,
            mailer=mailer,
            public_url=custom_reports.public_url,
            event_id=config.event_id,
            payload=config.request,
            pdf=_pdf_renderer() if wants_pdf else None,
        )
    except ReportRefused as refused:
        raise Failure(
            description=f"report request {config.event_id} refused: {refused}",
            allow_retries=False,
        ) from None
    except (ReportStoreError, ConfigurationError) as error:
        # the request is fine, the store is not: a re-run resumes from the report's row
        raise Failure(description=f"report request {config.event_id}: {error}") from None
    context.log.info(
        "Report for event %d: %s (%s rows)", config.event_id, outcome.status, outcome.rows
    )
    return Output(
        None,
        metadata={
            "event_id": config.event_id,
            "status": outcome.status,
            "object_key": MetadataValue.text(outcome.object_key or ""),
            "rows": outcome.rows or 0,
            "sha256": MetadataValue.text(outcome.sha256 or ""),
            "recipients": len(outcome.recipients),
        },
    )


@job(
    name="custom_report",
    description="One custom report per report.request webhook (run config from the sensor).",
)
def custom_report() -> None:
    build_custom_report()


@op(
    name="delete_expired_custom_reports",
    description="Deletes the files of custom reports whose link has expired, marks their rows "
    "expired, and removes files no report row points at once they are two days old.",
)
def delete_expired_custom_reports(
    context: OpExecutionContext,
    warehouse: PostgresWarehouse,
    custom_reports: CustomReportsResource,
) -> Output[None]:
    try:
        outcome = expire_reports(warehouse, custom_reports.store())
    except (ReportStoreError, ConfigurationError) as error:
        raise Failure(description=f"expired reports were not removed: {error}") from None
    context.log.info(
        "%d reports expired, %d files deleted, %d orphaned files removed",
        outcome.expired,
        outcome.files_deleted,
        outcome.orphans_deleted,
    )
    return Output(
        None,
        metadata={
            "expired": outcome.expired,
            "files_deleted": outcome.files_deleted,
            "orphans_deleted": outcome.orphans_deleted,
        },
    )


@job(
    name="expire_custom_reports",
    description="Removes expired custom reports from the store.",
)
def expire_custom_reports() -> None:
    delete_expired_custom_reports()


expire_custom_reports_hourly = ScheduleDefinition(
    name="expire_custom_reports_hourly",
    job=expire_custom_reports,
    cron_schedule="17 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every hour at :17, deletes custom reports whose 24-hour link has expired.",
)
