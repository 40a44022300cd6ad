"""Mail reaches a real SMTP server intact, and nothing in the data can forge a header."""

import datetime as dt
from email import message_from_bytes
from email.policy import default

import pytest

from promoteros_pipelines.resources.mailer import (
    Attachment,
    Mailer,
    MailError,
    compose,
    display_address,
)
from promoteros_pipelines.settings import ConfigurationError
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def _message(subject: str = "Weekly report", name: str = "Harriet Okafor"):
    return compose(
        sender="PromoterOS <reports@example.org>",
        to=[display_address(name, "harriet@example.org")],
        subject=subject,
        text="Plain text body",
        html="<p>HTML body</p>",
        attachments=[Attachment("report.pdf", b"%PDF-1.7 test", "application/pdf")],
        idempotency_key="weekly:2026-W47:exec",
    )


def test_a_message_arrives_with_both_parts_and_the_attachment(smtp):
    where = Mailer(smtp_url=smtp.url).send(_message())
    assert where == smtp.url
    [mail] = smtp.received
    assert mail.recipients == ["harriet@example.org"]
    assert mail.message["Subject"] == "Weekly report"
    assert "weekly-2026-W47-exec" in mail.message["Message-ID"]
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "Plain text body"
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None and "<p>HTML body</p>" in html.get_content()
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content() == b"%PDF-1.7 test"


def test_line_breaks_in_data_cannot_add_headers(smtp):
    message = _message(subject="Alert\r\nBcc: victim@example.org", name="Evil\r\nBcc: x@y.org")
    Mailer(smtp_url=smtp.url).send(message)
    [mail] = smtp.received
    assert mail.recipients == ["harriet@example.org"]
    assert mail.message["Bcc"] is None
    assert mail.message["Subject"] == "Alert Bcc: victim@example.org"


def test_without_an_smtp_url_mail_lands_in_the_outbox(tmp_path):
    where = Mailer(outbox_dir=str(tmp_path)).send(_message())
    [written] = list(tmp_path.glob("*.eml"))
    assert where == str(written)
    assert b"Subject: Weekly report" in written.read_bytes()
    # the outbox file is the mail as a client opens it: it says when it was written
    stored = message_from_bytes(written.read_bytes(), policy=default)
    assert abs(stored["Date"].datetime - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_a_server_that_refuses_raises_a_mail_error(smtp):
    smtp.fail_next(1)
    with pytest.raises(MailError, match="451"):
        Mailer(smtp_url=smtp.url).send(_message())
    assert smtp.received == []


def test_an_unreachable_server_raises_a_mail_error_without_the_password():
    mailer = Mailer(smtp_url="smtp+starttls://ana:s3cret@127.0.0.1:1", timeout_seconds=2)
    with pytest.raises(MailError) as error:
        mailer.send(_message())
    assert "s3cret" not in str(error.value)


def test_a_bad_smtp_url_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="PROMOTEROS_SMTP_URL"):
        Mailer(smtp_url="http://mail.example.org").send(_message())
