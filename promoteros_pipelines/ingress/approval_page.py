"""``/approvals/{token}``: the small page an approver's one-time link opens.

The token is signed like the report download links (``report_store.links``, its own salt)
over a link id that names one approver and one approval (``approval_links``). ``GET`` shows
what is asked with approve / reject buttons; ``POST`` (CSRF-checked) marks the link used and
files the decision as an ``approval.decision`` event from source ``approval-link`` in the same
transaction, so the same rules as every other channel apply (``defs/approvals``), the link
works once, and the decision is recorded even if the code location is down just then.

Answers: forged or altered token, or a bad CSRF token: ``403``; expired link, used link,
approval already decided or expired: ``410``; no ``PROMOTEROS_LINK_SECRET``: ``503``. Every
name on the page is escaped, so HTML or line breaks in an artist's name show as text. No
Dagster import: this runs in the ingress.
"""

import hmac
import html
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import psycopg
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from promoteros_pipelines.domain.approvals import describe
from promoteros_pipelines.events import ApprovalDecision
from promoteros_pipelines.report_store.links import (
    APPROVAL_SALT,
    LINK_SECRET_ENV,
    LinkRefused,
    LinkSigner,
    token_fingerprint,
)
from promoteros_pipelines.settings import ConfigurationError

log = logging.getLogger("promoteros_pipelines.ingress.approvals")
LINK_SOURCE = "approval-link"
CSRF_COOKIE = "promoteros_approval_csrf"
MAX_FORM_BYTES = 8 * 1024
HEADERS = {
    "cache-control": "private, no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}
LOOKUP = """
SELECT l.approval_id, l.recipient, l.used_at, a.kind, a.subject, a.status, a.requested_by,
       a.expires_at, a.priority
FROM promoteros.approval_links l JOIN promoteros.approvals a ON a.id = l.approval_id
WHERE l.link_id = %s
"""
USE = """
UPDATE promoteros.approval_links SET used_at = now()
WHERE link_id = %s AND used_at IS NULL AND expires_at > now()
RETURNING approval_id, recipient
"""
FILE_EVENT = """
INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)
VALUES (%s, 'approval.decision', %s, %s::jsonb)
ON CONFLICT (source, webhook_id) DO NOTHING
"""


class Gone(Exception):
    """The link did its work or its time is over (answered 410)."""


def _page(title: str, body: str, status: int = 200, cookie: str | None = None) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;"
        "max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1d2433}"
        "textarea{width:100%;min-height:5rem}button{font-size:1rem;padding:.5rem 1rem;"
        "margin-right:.5rem}.muted{color:#5b6475}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    response = HTMLResponse(document, status_code=status, headers=HEADERS)
    if cookie is not None:
        response.set_cookie(
            CSRF_COOKIE, cookie, httponly=True, samesite="strict", path="/approvals/"
        )
    return response


@dataclass
class ApprovalPage:
    """The page with its signer (None: no link secret) and the warehouse it reads."""

    signer: LinkSigner | None
    database_url: str
    csrf_key: bytes = b""

    @classmethod
    def from_env(cls, database_url: str) -> "ApprovalPage":
        try:
            signer: LinkSigner | None = LinkSigner.from_env(APPROVAL_SALT)
        except ConfigurationError as error:
            log.warning("Approval links disabled: %s", error)
            signer = None
        return cls.with_signer(signer, database_url)

    @classmethod
    def with_signer(cls, signer: LinkSigner | None, database_url: str) -> "ApprovalPage":
        key = signer.derived_key("promoteros.approval-csrf") if signer else b""
        return cls(signer=signer, database_url=database_url, csrf_key=key)

    def _csrf(self, link_id: str, nonce: str) -> str:
        return hmac.new(self.csrf_key, f"{link_id}:{nonce}".encode(), "sha256").hexdigest()

    def _link_id(self, token: str) -> str:
        assert self.signer is not None
        return self.signer.verify(token).key

    def _lookup(self, link_id: str) -> dict[str, Any]:
        with psycopg.connect(self.database_url, connect_timeout=5) as conn:
            row = conn.execute(LOOKUP, (link_id,)).fetchone()
        if row is None:
            raise Gone("this link is no longer valid")
        names = ("approval_id", "recipient", "used_at", "kind", "subject", "status")
        found = dict(zip((*names, "requested_by", "expires_at", "priority"), row, strict=True))
        _check_open(found)
        return found

    def _use(self, link_id: str, decision: ApprovalDecision) -> None:
        with psycopg.connect(self.database_url, connect_timeout=5) as conn:
            if conn.execute(USE, (link_id,)).fetchone() is None:
                raise Gone("this link has already been used or has expired")
            row = conn.execute(LOOKUP, (link_id,)).fetchone()
            assert row is not None
            _check_open({"status": row[5], "expires_at": row[7], "used_at": None})
            payload = decision.model_dump_json(exclude_none=True)
            conn.execute(FILE_EVENT, (LINK_SOURCE, f"link:{link_id}", payload))

    def _refusal(self, error: Exception, token: str) -> HTMLResponse:
        log.info("Approval link %s refused: %s", token_fingerprint(token), error)
        if isinstance(error, LinkRefused):
            return _page("Link not valid", f"<p>{html.escape(str(error))}.</p>", error.status)
        return _page("Link no longer valid", f"<p>{html.escape(str(error))}.</p>", 410)

    async def show(self, request: Request) -> HTMLResponse:
        token = request.path_params["token"]
        if self.signer is None:
            return _page("Approvals unavailable", f"<p>{LINK_SECRET_ENV} is not set.</p>", 503)
        try:
            link_id = self._link_id(token)
            found = await run_in_threadpool(self._lookup, link_id)
        except (LinkRefused, Gone) as error:
            return self._refusal(error, token)
        nonce = secrets.token_urlsafe(16)
        return _page("Your decision", _form(found, self._csrf(link_id, nonce)), cookie=nonce)

    async def submit(self, request: Request) -> HTMLResponse:
        token = request.path_params["token"]
        if self.signer is None:
            return _page("Approvals unavailable", f"<p>{LINK_SECRET_ENV} is not set.</p>", 503)
        try:
            link_id = self._link_id(token)
        except LinkRefused as error:
            return self._refusal(error, token)
        body = await request.body()
        form = {
            k: v[0] for k, v in parse_qs(body[:MAX_FORM_BYTES].decode(errors="replace")).items()
        }
        nonce = request.cookies.get(CSRF_COOKIE, "")
        expected = self._csrf(link_id, nonce)
        if not nonce or not hmac.compare_digest(form.get("csrf", ""), expected):
            return _page(
                "Request refused",
                "<p>This form is stale or was not sent from the approval page. Open the link "
                "from your email again.</p>",
                403,
            )
        try:
            found = await run_in_threadpool(self._lookup, link_id)
            decision = _decision(form, found)
            await run_in_threadpool(self._use, link_id, decision)
        except (Gone, LinkRefused) as error:
            return self._refusal(error, token)
        except ValueError as error:
            return _page("Not recorded", f"<p>{html.escape(str(error))}</p>", 400)
        word = "approval" if decision.decision == "approved" else "rejection"
        return _page(
            "Thank you",
            f"<p>Your {word} of <strong>{html.escape(describe(found['kind'], found['subject']))}"
            "</strong> is recorded and takes effect within a minute. This link now no longer "
            "works.</p>",
        )


def _check_open(found: dict[str, Any]) -> None:
    if found["used_at"] is not None:
        raise Gone("this link has already been used")
    if found["status"] != "pending":
        raise Gone(f"this request is already {found['status']}")
    if found["expires_at"] <= datetime.now(UTC):
        raise Gone("this request has expired")


def _decision(form: dict[str, str], found: dict[str, Any]) -> ApprovalDecision:
    choice = form.get("decision")
    if choice not in ("approved", "rejected"):
        raise ValueError("Choose approve or reject.")
    reason = form.get("reason", "").strip() or None
    if choice == "rejected" and not reason:
        raise ValueError("A rejection needs a reason, so the requester knows why. Go back.")
    try:
        return ApprovalDecision(
            approval_id=found["approval_id"],
            decision=choice,
            decided_by=found["recipient"],
            reason=reason,
            decided_at=datetime.now(UTC),
        )
    except ValidationError as error:
        raise ValueError(f"The form is not valid: {error.errors()[0]['msg']}") from None


def _form(found: dict[str, Any], csrf: str) -> str:
    what = html.escape(describe(found["kind"], found["subject"]))
    expires = f"{found['expires_at']:%Y-%m-%d %H:%M} UTC"
    return (
        f"<p><strong>{what}</strong></p>"
        f'<p class="muted">Requested by {html.escape(found["requested_by"])}; priority '
        f"{html.escape(found['priority'])}; decide before {expires}. You are deciding as "
        f"{html.escape(found['recipient'])}.</p>"
        '<form method="post">'
        f'<input type="hidden" name="csrf" value="{csrf}">'
        '<p><label for="reason">Reason (required to reject)</label><br>'
        '<textarea id="reason" name="reason" maxlength="2000"></textarea></p>'
        '<button type="submit" name="decision" value="approved">Approve</button>'
        '<button type="submit" name="decision" value="rejected">Reject</button>'
        "</form>"
    )
