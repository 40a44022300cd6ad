"""One report request from payload to mailed link, and the cleanup of expired reports.

Plain functions over the warehouse, the store, the signer and the mailer, so the Dagster job
is a thin shell and tests can drive the whole path directly. A re-run of the same event
resumes from its ``custom_reports`` row: a stored file is not rebuilt, a sent link is not
mailed again, a rejected request is refused again with the same reason.
"""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import polars as pl

from promoteros_pipelines.defs.custom_reports import records
from promoteros_pipelines.defs.custom_reports.formats import ReportHeader, to_csv, to_json, to_xlsx
from promoteros_pipelines.defs.custom_reports.query import report_rows
from promoteros_pipelines.defs.custom_reports.request import (
    ReportRefused,
    ReportScope,
    parse_request,
    resolve,
)
from promoteros_pipelines.report_store.links import LINK_LIFETIME, LinkSigner, download_url
from promoteros_pipelines.report_store.store import ARCHIVE_PREFIX, ReportStore
from promoteros_pipelines.resources.mailer import Mailer, compose
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

PdfRenderer = Callable[[pl.DataFrame, ReportHeader], bytes]


@dataclass(frozen=True)
class ReportOutcome:
    event_id: int
    status: str  # "sent" (this run mailed it) or "already_sent"/"expired" (an earlier run did)
    object_key: str | None
    rows: int | None
    sha256: str | None
    recipients: tuple[str, ...] = ()


def object_key(organisation: str, event_id: int, title: str, fmt: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "report"
    return f"{organisation}/{event_id}/{name}.{fmt}"


def _header(scope: ReportScope, now: datetime) -> ReportHeader:
    request = scope.request
    title = request.title or (
        f"{scope.organisation_name} artist metrics {request.date_from} to {request.date_to}"
    )
    return ReportHeader(
        title=title,
        organisation=scope.organisation_name,
        date_from=request.date_from,
        date_to=request.date_to,
        metrics=scope.metrics,
        generated_at=now,
    )


def render(frame: pl.DataFrame, header: ReportHeader, fmt: str, pdf: PdfRenderer | None) -> bytes:
    if fmt == "csv":
        return to_csv(frame)
    if fmt == "xlsx":
        return to_xlsx(frame, header)
    if fmt == "json":
        return to_json(frame, header)
    if pdf is None:
        raise ReportRefused(
            "PDF custom reports are not available in this deployment yet; ask for xlsx, csv or json"
        )
    return pdf(frame, header)


def recipients_for(warehouse: PostgresWarehouse, scope: ReportScope) -> tuple[str, ...]:
    """The requester's address, or else the organisation's analysts."""
    if scope.request.email:
        return (scope.request.email,)
    analysts = warehouse.read_frame(
        "SELECT email FROM promoteros.recipients WHERE organisation_id = $1 AND role = 'analyst' "
        "ORDER BY email",
        [scope.organisation_id],
    )
    if analysts.is_empty():
        raise ReportRefused("the request names no email and the organisation has no analysts")
    return tuple(analysts["email"].to_list())


def link_message(
    event_id: int,
    sender: str,
    to: tuple[str, ...],
    header: ReportHeader,
    url: str,
    rows: int,
    expires: datetime,
) -> EmailMessage:
    """The mail with the download link; the Message-ID names the event, to spot a resend."""
    when = f"{expires.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    text = (
        f'Your report "{header.title}" is ready ({rows} rows).\n\n'
        f"Download it here (the link expires {when}):\n{url}\n\n"
        "The file is deleted when the link expires; ask again for a fresh copy.\n"
    )
    page = (
        f"<p>Your report <strong>{html.escape(header.title)}</strong> is ready ({rows} rows).</p>"
        f'<p><a href="{html.escape(url)}">Download it</a> (the link expires {when}).</p>'
        "<p>The file is deleted when the link expires; ask again for a fresh copy.</p>"
    )
    return compose(
        sender=sender,
        to=to,
        subject=f"Report ready: {header.title}",
        text=text,
        html=page,
        idempotency_key=f"custom-report-{event_id}",
    )


def refusal_message(event_id: int, sender: str, to: str, reason: str) -> EmailMessage:
    """Tells the requester why no report is coming, so they can fix the request."""
    return compose(
        sender=sender,
        to=[to],
        subject="Report request refused",
        text=f"Your report request could not be built: {reason}.\n\nFix it and ask again.\n",
        idempotency_key=f"custom-report-refused-{event_id}",
    )


def produce_report(
    *,
    warehouse: PostgresWarehouse,
    store: ReportStore,
    signer: LinkSigner,
    mailer: Mailer,
    public_url: str,
    event_id: int,
    payload: dict[str, Any],
    pdf: PdfRenderer | None = None,
    now: datetime | None = None,
) -> ReportOutcome:
    """Build, store, sign and mail the report of one request event (idempotent per event)."""
    now = now or datetime.now(UTC)
    request = parse_request(payload)
    with records.event_lock(warehouse, event_id):
        record = records.claim(
            warehouse,
            event_id,
            request.organisation,
            request.email,
            request.format,
            request.model_dump(mode="json"),
        )
        if record.status in {"sent", "expired"}:
            return ReportOutcome(
                event_id,
                "already_sent" if record.status == "sent" else "expired",
                record.object_key,
                record.rows,
                record.sha256,
            )
        if record.status == "rejected":
            raise ReportRefused(record.error or "the request was refused earlier")
        try:
            scope = resolve(warehouse, request)
            header = _header(scope, now)
            recipients = recipients_for(warehouse, scope)
            stored = _reusable(store, record, now)
            if stored is None:
                frame = report_rows(warehouse, scope)
                content = render(frame, header, request.format, pdf)
                key = object_key(request.organisation, event_id, header.title, request.format)
                put = store.put(key, content)
                expires_at = now + LINK_LIFETIME
                records.mark_stored(
                    warehouse,
                    event_id,
                    key=key,
                    path=put.location,
                    sha256=put.sha256,
                    size_bytes=put.size_bytes,
                    rows=frame.height,
                    expires_at=expires_at,
                )
                stored = (key, frame.height, put.sha256, expires_at)
        except ReportRefused as refused:
            records.mark_rejected(warehouse, event_id, str(refused))
            # once, on the rejecting run: a re-run finds the row rejected and mails nothing
            if request.email:
                reason = str(refused)
                mailer.send(refusal_message(event_id, mailer.mail_from, request.email, reason))
            raise
        key, rows, sha256, expires_at = stored
        url = download_url(public_url, signer.sign(key, expires_at))
        mailer.send(
            link_message(event_id, mailer.mail_from, recipients, header, url, rows, expires_at)
        )
        records.mark_sent(warehouse, event_id)
        return ReportOutcome(event_id, "sent", key, rows, sha256, recipients)


def _reusable(
    store: ReportStore, record: records.ReportRecord, now: datetime
) -> tuple[str, int, str, datetime] | None:
    """The file an earlier run stored, if it is intact and its link still has time left."""
    if record.status != "stored" or not record.object_key or record.expires_at is None:
        return None
    if record.expires_at <= now:
        return None
    found = store.stat(record.object_key)
    if found is None or found.sha256 != record.sha256:
        return None
    return record.object_key, record.rows or 0, found.sha256, record.expires_at


# Files no live row points at (a run that crashed between writing and recording) go once
# they are older than any link could be, plus a margin for a run still in progress.
ORPHAN_AGE = LINK_LIFETIME + timedelta(hours=24)


@dataclass(frozen=True)
class CleanupOutcome:
    expired: int
    files_deleted: int
    orphans_deleted: int = 0


def expire_reports(
    warehouse: PostgresWarehouse,
    store: ReportStore,
    now: datetime | None = None,
    orphan_age: timedelta = ORPHAN_AGE,
) -> CleanupOutcome:
    """Delete the files of reports whose link has expired and mark their rows ``expired``;
    then delete stored objects no live row points at once they are ``orphan_age`` old."""
    now = now or datetime.now(UTC)
    deleted = 0
    due = records.expiring(warehouse, now)
    for record in due:
        if record.object_key and store.delete(record.object_key):
            deleted += 1
        records.mark_expired(warehouse, record.event_id)
    live = records.live_keys(warehouse)
    orphans = [
        name
        for name in store.stale_objects(now - orphan_age)
        if name not in live and not name.startswith(ARCHIVE_PREFIX)
    ]
    for name in orphans:
        store.remove_stale(name)
    return CleanupOutcome(expired=len(due), files_deleted=deleted, orphans_deleted=len(orphans))
