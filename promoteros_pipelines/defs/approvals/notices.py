"""Mails to the people who may decide an approval: the request, and one reminder.

Each mail carries the recipient's own one-time link to the approval page (served by the
ingress) when ``PROMOTEROS_LINK_SECRET`` is set, and always the CLI command. Names come from
webhooks and artists' own spelling: the subject line is made one line, the HTML is escaped,
so ``<b>`` or a line break in a name shows as text.
"""

import html
import os

from promoteros_pipelines.defs.approvals.lifecycle import deciders, link_for
from promoteros_pipelines.defs.approvals.store import ApprovalRow
from promoteros_pipelines.domain.approvals import describe, timeout_status
from promoteros_pipelines.report_store.links import (
    APPROVAL_SALT,
    LINK_SECRET_ENV,
    LinkSigner,
    public_url,
)
from promoteros_pipelines.resources.mailer import Mailer, compose, one_line
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


def approval_signer() -> LinkSigner | None:
    """The approval-link signer, or None without a link secret (mails then carry no link)."""
    if not os.environ.get(LINK_SECRET_ENV):
        return None
    return LinkSigner.from_env(APPROVAL_SALT)


def approval_url(token: str) -> str:
    return f"{public_url()}/approvals/{token}"


def _mail(row: ApprovalRow, link: str | None, *, reminder: bool) -> tuple[str, str, str]:
    what = describe(row.kind, row.subject)
    lead = "Reminder: still waiting for your decision" if reminder else "Your decision is needed"
    expires = f"{row.expires_at:%Y-%m-%d %H:%M} UTC"
    fate = "rejected" if timeout_status(row.kind) == "expired" else "approved"
    subject = one_line(f"[PromoterOS] {lead}: {what}")
    cli = f"promoteros approvals approve {row.id} --by YOUR-EMAIL"
    text_lines = [
        f"{lead}.",
        "",
        what,
        f"Requested by {row.requested_by}; priority {row.priority}.",
        f"Without a decision by {expires} it is {fate}.",
        "",
    ]
    if link:
        text_lines += ["Approve or reject (this link works once):", link, ""]
    text_lines += [f"Or from the command line: {cli}"]
    text = "\n".join(text_lines)
    button = f'<p><a href="{html.escape(link)}">Approve or reject</a></p>' if link else ""
    body = (
        f"<p>{html.escape(lead)}.</p><p><strong>{html.escape(what)}</strong></p>"
        f"<p>Requested by {html.escape(row.requested_by)}; priority "
        f"{html.escape(row.priority)}. Without a decision by {expires} it is {fate}.</p>"
        f"{button}<p>Or from the command line: <code>{html.escape(cli)}</code></p>"
    )
    return subject, text, body


def notify(
    warehouse: PostgresWarehouse, mailer: Mailer, row: ApprovalRow, *, reminder: bool
) -> int:
    """Mail every person who may still decide ``row``; the number of mails sent."""
    signer = approval_signer()
    sent = 0
    for person in deciders(warehouse, row):
        link = None
        if signer is not None:
            link_id, expires_at = link_for(warehouse, row, person.email)
            link = approval_url(signer.sign(link_id, expires_at))
        subject, text, body = _mail(row, link, reminder=reminder)
        kind = "reminder" if reminder else "request"
        mailer.send(
            compose(
                sender=mailer.mail_from,
                to=[person.email],
                subject=subject,
                text=text,
                html=body,
                idempotency_key=f"approval-{kind}-{row.id}-{person.email}",
            )
        )
        sent += 1
    return sent
