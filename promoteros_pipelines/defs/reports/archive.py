"""Archive rendered reports under PROMOTEROS_HOME/reports and mail each one at most once.

Natural keys: ``report_archive`` (organisation, report, period, role, venue) and
``report_deliveries`` (archive row, recipient email). A delivery is claimed (``sending``)
before the SMTP transaction and marked ``sent`` after it, so a re-run skips what was sent,
retries what failed, and resends everything only when asked (``resend``). A crash between the
SMTP ``250`` and the ``sent`` update is the one window where a message could go out twice.
"""

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from promoteros_pipelines.defs.reports.kpis import Organisation
from promoteros_pipelines.defs.reports.periods import parse_week
from promoteros_pipelines.defs.reports.weekly import ROLE_RECIPIENTS, VENUE, RenderedReport
from promoteros_pipelines.resources.mailer import (
    Attachment,
    Mailer,
    MailError,
    compose,
    display_address,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import promoteros_home

REPORT = "weekly_executive_report"


@dataclass
class ArchivedReport:
    report: RenderedReport
    archive_id: int
    path: Path
    sha256: str


@dataclass
class DeliverySummary:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def archive_dir(org: Organisation, period: str, root: Path | None = None) -> Path:
    return (root or promoteros_home() / "reports") / "weekly" / org.slug / period


def archive_reports(
    warehouse: PostgresWarehouse,
    org: Organisation,
    period: str,
    reports: Sequence[RenderedReport],
    root: Path | None = None,
) -> list[ArchivedReport]:
    """Write each PDF (atomically) and upsert its ``report_archive`` row."""
    folder = archive_dir(org, period, root)
    folder.mkdir(parents=True, exist_ok=True)
    archived = []
    with warehouse.connect() as conn:
        for report in reports:
            path = folder / report.filename
            partial = path.with_suffix(".pdf.partial")
            partial.write_bytes(report.pdf)
            os.replace(partial, path)
            digest = hashlib.sha256(report.pdf).hexdigest()
            archive_id = conn.execute(
                f"""
                INSERT INTO {warehouse.qualified("report_archive")}
                    (organisation_id, report, period, role, venue_id, path, sha256, size_bytes)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (organisation_id, report, period, role, (COALESCE(venue_id, 0)))
                DO UPDATE SET path = EXCLUDED.path, sha256 = EXCLUDED.sha256,
                    size_bytes = EXCLUDED.size_bytes, updated_at = now()
                RETURNING archive_id
                """,
                (
                    org.organisation_id,
                    REPORT,
                    period,
                    report.role,
                    report.venue_id,
                    str(path),
                    digest,
                    len(report.pdf),
                ),
            ).fetchone()[0]  # type: ignore[index]
            archived.append(ArchivedReport(report, archive_id, path, digest))
    return archived


def recipients_for(report: RenderedReport, people: pl.DataFrame) -> list[dict]:
    roles = ROLE_RECIPIENTS[report.role]
    chosen = people.filter(pl.col("role").is_in(roles))
    if report.role == VENUE:
        chosen = chosen.filter(pl.col("venue_id") == report.venue_id)
    return chosen.to_dicts()


def _claim(warehouse, conn, item: ArchivedReport, email: str, resend: bool) -> int | None:
    """Attempt number if this delivery is due, None if it was already sent."""
    row = conn.execute(
        f"""
        INSERT INTO {warehouse.qualified("report_deliveries")} (archive_id, email, status, sha256)
        VALUES (%s, %s, 'sending', %s)
        ON CONFLICT (archive_id, email) DO UPDATE SET status = 'sending',
            attempts = report_deliveries.attempts + 1, sha256 = EXCLUDED.sha256,
            last_error = NULL, updated_at = now()
        WHERE report_deliveries.status <> 'sent' OR %s
        RETURNING attempts
        """,
        (item.archive_id, email, item.sha256, resend),
    ).fetchone()
    return None if row is None else row[0]


EYEBROWS = {"executive": "Weekly executive report", "ops": "Weekly operations report"}


def report_mail(org: Organisation, period: str, report: RenderedReport, name: str) -> dict:
    """Subject, text and HTML of the mail that carries ``report`` to ``name``: what it is,
    for which week, and the week in a few sentences, in the reports' look."""
    from promoteros_pipelines.rendering.render import environment, text_environment

    week = parse_week(period)
    values = {
        "name": name,
        "organisation": org.name,
        "title": report.title,
        "eyebrow": EYEBROWS.get(report.role, "Weekly venue report"),
        "week": period,
        "first_day": week.monday.isoformat(),
        "last_day": week.days[-1].isoformat(),
        "filename": report.filename,
        "summary": list(report.summary),
        "subject": f"{org.name}: {report.title}, week {period}",
    }
    return {
        "subject": values["subject"],
        "text": text_environment().get_template("weekly_mail.txt.j2").render(**values),
        "html": environment().get_template("weekly_mail.html.j2").render(**values),
    }


def deliver_reports(
    warehouse: PostgresWarehouse,
    mailer: Mailer,
    org: Organisation,
    period: str,
    archived: Sequence[ArchivedReport],
    people: pl.DataFrame,
    *,
    resend: bool = False,
) -> DeliverySummary:
    """Mail each archived PDF to the recipients of its role, one message per person."""
    summary = DeliverySummary()
    for item in archived:
        report = item.report
        for person in recipients_for(report, people):
            email = person["email"]
            label = f"{report.filename} -> {email}"
            with warehouse.connect() as conn:
                attempt = _claim(warehouse, conn, item, email, resend)
            if attempt is None:
                summary.skipped.append(label)
                continue
            error = None
            try:
                mail = report_mail(org, period, report, person["name"])
                message = compose(
                    sender=mailer.mail_from,
                    to=[display_address(person["name"], email)],
                    subject=mail["subject"],
                    text=mail["text"],
                    html=mail["html"],
                    attachments=[Attachment(report.filename, report.pdf)],
                    idempotency_key=f"{org.slug}.{period}.{item.archive_id}.{attempt}",
                )
                mailer.send(message)
            except (MailError, ValueError) as failure:
                error = str(failure)[:500]
            with warehouse.connect() as conn:
                conn.execute(
                    f"UPDATE {warehouse.qualified('report_deliveries')}"
                    " SET status = %s, last_error = %s, updated_at = now()"
                    " WHERE archive_id = %s AND email = %s",
                    ("failed" if error else "sent", error, item.archive_id, email),
                )
            (summary.failed if error else summary.sent).append(label)
    return summary
