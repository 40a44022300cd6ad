"""A real SMTP server (aiosmtpd) on a loopback port that keeps what it receives.

``fail_next(n)`` makes the next n transactions answer ``451`` (a temporary failure), so
retries and dead-lettering can be tested against a real server.
"""

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from promoteros_pipelines.runtime.net import free_loopback_port


@dataclass
class ReceivedMail:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class RecordingHandler:
    received: list[ReceivedMail] = field(default_factory=list)
    failures_left: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.failures_left > 0:
            self.failures_left -= 1
            return "451 4.3.0 Temporary failure, try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), parsed)  # type: ignore[arg-type]
        )
        return "250 OK"


class SmtpServer:
    """``with SmtpServer() as smtp: smtp.url`` -> ``smtp://127.0.0.1:PORT``."""

    def __init__(self) -> None:
        self.port = free_loopback_port()
        self.handler = RecordingHandler()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def fail_next(self, count: int) -> None:
        self.handler.failures_left = count

    def __enter__(self) -> "SmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
