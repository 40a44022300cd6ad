"""Outgoing mail: SMTP when PROMOTEROS_SMTP_URL is set, else ``.eml`` files in the outbox.

``PROMOTEROS_SMTP_URL`` forms: ``smtp://host:25`` (plain), ``smtp+starttls://user:pass@host:587``
(STARTTLS, then login), ``smtps://user:pass@host:465`` (TLS from the start). The password is
read from the URL at send time and never logged. ``PROMOTEROS_MAIL_FROM`` sets the sender.
Without an SMTP URL, each message is written to ``$PROMOTEROS_HOME/outbox/`` so the demo shows
what would have been sent.

Header values are built by the stdlib ``email`` package with the strict SMTP policy; line
breaks in a name or subject are replaced by spaces first, so text from the data (an artist
called "x\\r\\nBcc: y") can never add a header. ``MAIL_POLICY`` also keeps a header's value on
its name's line: the stdlib folds a 70-77 character subject right after ``Subject:``, and
readers then show it with a leading space.
"""

import re
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dagster import ConfigurableResource
from pydantic import Field

from promoteros_pipelines.settings import ConfigurationError, promoteros_home

SMTP_URL_ENV = "PROMOTEROS_SMTP_URL"
MAIL_FROM_ENV = "PROMOTEROS_MAIL_FROM"
DEFAULT_FROM = "PromoterOS <reports@promoteros.invalid>"
SCHEMES = {"smtp", "smtp+starttls", "smtps"}


class MailError(RuntimeError):
    """The mail server refused or could not be reached; the message says which and why."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


class _MailPolicy(EmailPolicy):
    """The SMTP policy (CRLF, 78-character lines), except that a folded header never starts
    with a line break: ``Subject:\\r\\n Northern...`` becomes ``Subject: Northern...``."""

    def fold(self, name: str, value: str) -> str:
        folded = super().fold(name, value)
        broken = f"{name}:{self.linesep} "
        return f"{name}: {folded[len(broken) :]}" if folded.startswith(broken) else folded

    def fold_binary(self, name: str, value: str) -> bytes:
        folded = super().fold_binary(name, value)
        broken = f"{name}:{self.linesep} ".encode("ascii")
        if folded.startswith(broken):
            return f"{name}: ".encode("ascii") + folded[len(broken) :]
        return folded


MAIL_POLICY = _MailPolicy(linesep="\r\n")


def one_line(value: str) -> str:
    """A header-safe single line: CR, LF and other line breaks become spaces."""
    return re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+", " ", value).strip()


def compose(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    idempotency_key: str | None = None,
) -> EmailMessage:
    """A multipart message (plain text, optional HTML alternative, attachments).

    ``idempotency_key`` becomes the Message-ID's left part, so a resend is recognisable.
    """
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = one_line(sender)
    message["To"] = ", ".join(one_line(address) for address in to)
    message["Subject"] = one_line(subject)
    # RFC 5322 asks for it, and an outbox .eml has no server to add one: mail clients showed
    # none ("Date: None")
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(
        idstring=re.sub(r"[^A-Za-z0-9.-]", "-", idempotency_key) if idempotency_key else None,
        domain="promoteros.invalid",
    )
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.mime_type.split("/", 1)
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=one_line(attachment.filename),
        )
    return message


def display_address(name: str, email: str) -> str:
    """``"Name" <email>`` with the name made header-safe."""
    address = Address(addr_spec=email)  # raises on a malformed address
    return formataddr((one_line(name), address.addr_spec))


class Mailer(ConfigurableResource):
    """Sends mail by SMTP, or writes it to the outbox directory when no server is configured."""

    smtp_url: str | None = Field(default=None, description="PROMOTEROS_SMTP_URL; unset = outbox.")
    mail_from: str = Field(default=DEFAULT_FROM, description="Sender (PROMOTEROS_MAIL_FROM).")
    outbox_dir: str | None = Field(
        default=None,
        description="Where .eml files go without SMTP; default $PROMOTEROS_HOME/outbox.",
    )
    timeout_seconds: float = Field(default=30.0, description="SMTP connect/command timeout.")

    def outbox(self) -> Path:
        return Path(self.outbox_dir) if self.outbox_dir else promoteros_home() / "outbox"

    def send(self, message: EmailMessage) -> str:
        """Deliver ``message``; return where it went (SMTP host or the .eml path)."""
        if "From" not in message:
            message["From"] = one_line(self.mail_from)
        if not self.smtp_url:
            return str(self._write_eml(message))
        parts = urlsplit(self.smtp_url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ConfigurationError(
                f"{SMTP_URL_ENV} must look like smtp://host:25, smtp+starttls://user:pass@host:587"
                f" or smtps://user:pass@host:465 (got scheme {parts.scheme!r})"
            )
        host, port = parts.hostname, parts.port
        try:
            if parts.scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    host,
                    port or 465,
                    timeout=self.timeout_seconds,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(host, port or 25, timeout=self.timeout_seconds)
            with client:
                if parts.scheme == "smtp+starttls":
                    client.starttls(context=ssl.create_default_context())
                if parts.username:
                    client.login(unquote(parts.username), unquote(parts.password or ""))
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            code = getattr(error, "smtp_code", None)
            reason = getattr(error, "smtp_error", error)
            if isinstance(reason, bytes):
                reason = reason.decode(errors="replace")
            status = f"{code} " if code else ""
            raise MailError(
                f"mail to {message['To']} via {host}:{port} failed: {type(error).__name__}: "
                f"{status}{reason}"
            ) from error
        return f"smtp://{host}:{port}"

    def _write_eml(self, message: EmailMessage) -> Path:
        folder = self.outbox()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(message.as_bytes())
        return path
