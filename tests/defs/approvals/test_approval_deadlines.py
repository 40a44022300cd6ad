"""approval_deadlines: request mails, one reminder, timeout = reject; names stay text."""

from datetime import timedelta

import pytest
from approvals_support import ANALYST, EXEC, EXEC_2, VENUE_MANAGER, hours_ago, offer

from promoteros_pipelines.defs.approvals.jobs import approval_deadlines
from promoteros_pipelines.defs.approvals.store import get_approval, history_of
from promoteros_pipelines.resources.mailer import Mailer
from tests.support.smtp import SmtpServer

SECRET = "approval-link-secret-for-tests-0123456789"
HOSTILE = "<b>Evil</b>\r\nBcc: attacker@evil.example"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def run(people, smtp):
    mailer = Mailer(smtp_url=smtp.url, mail_from="PromoterOS <approvals@test.invalid>")
    result = approval_deadlines.execute_in_process(
        resources={"warehouse": people, "mailer": mailer}
    )
    assert result.success
    return result


def mails_to(smtp, email):
    return [m.message for m in smtp.received if email in m.recipients]


def test_deciders_are_mailed_once_with_their_own_one_time_link(people, smtp, monkeypatch):
    monkeypatch.setenv("PROMOTEROS_LINK_SECRET", SECRET)
    monkeypatch.setenv("PROMOTEROS_PUBLIC_URL", "https://approve.example")
    approval_id = offer(people, artist=HOSTILE)
    run(people, smtp)
    # the execs and the venue's manager; not the requester, not another venue's manager
    assert sorted(r for m in smtp.received for r in m.recipients) == sorted(
        [EXEC, EXEC_2, VENUE_MANAGER]
    )
    (mail,) = mails_to(smtp, EXEC)
    assert "\n" not in mail["Subject"] and "Bcc" not in mail
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<b>Evil</b>" not in html and "&lt;b&gt;Evil&lt;/b&gt;" in html
    assert "https://approve.example/approvals/" in text
    assert f"promoteros approvals approve {approval_id}" in text
    links = {
        m.message.get_body(("plain",)).get_content().split("/approvals/")[1].split()[0]
        for m in smtp.received
    }
    assert len(links) == 3  # one link per person

    run(people, smtp)  # the next pass mails nobody again
    assert len(smtp.received) == 3


def test_one_reminder_before_expiry_then_timeout_rejects(people, smtp):
    approval_id = offer(people, now=hours_ago(40))  # 8 of 48 hours left: reminder due
    run(people, smtp)
    reminders = [m for m in smtp.received if "Reminder" in m.message["Subject"]]
    assert {r for m in reminders for r in m.recipients} == {EXEC, EXEC_2, VENUE_MANAGER}
    count = len(smtp.received)
    run(people, smtp)
    assert len(smtp.received) == count  # reminded once
    assert [h["action"] for h in history_of(people, approval_id)].count("reminded") == 1
    assert get_approval(people, approval_id).status == "pending"

    stale = offer(people, "stale", now=hours_ago(48) - timedelta(minutes=1))
    run(people, smtp)
    assert get_approval(people, stale).status == "expired"
    assert history_of(people, stale)[-1]["action"] == "timed_out"
    assert ANALYST not in {r for m in smtp.received for r in m.recipients}


def test_a_reminder_that_could_not_be_sent_is_tried_again(people, smtp):
    approval_id = offer(people, now=hours_ago(40))
    smtp.fail_next(1)
    run(people, smtp)
    run(people, smtp)
    reminded = {
        r for m in smtp.received if "Reminder" in m.message["Subject"] for r in m.recipients
    }
    assert EXEC in reminded
    assert get_approval(people, approval_id).reminded_at is not None


def test_the_schedule_runs_only_when_something_is_due(people):
    from dagster import RunRequest, build_schedule_context

    from promoteros_pipelines.defs.approvals.jobs import approval_deadlines_every_5_minutes

    def evaluate():
        with build_schedule_context(resources={"warehouse": people}) as context:
            return approval_deadlines_every_5_minutes(context)

    assert not isinstance(evaluate(), RunRequest)  # nothing filed yet
    approval_id = offer(people)
    assert isinstance(evaluate(), RunRequest)  # new: its deciders need a mail
    with people.connect() as conn:
        conn.execute(
            "UPDATE promoteros.approvals SET notified_at = now() WHERE id = %s", (approval_id,)
        )
    assert not isinstance(evaluate(), RunRequest)
    with people.connect() as conn:
        conn.execute(
            "UPDATE promoteros.approvals SET requested_at = now() - interval '47 hours',"
            " expires_at = now() + interval '1 hour' WHERE id = %s",
            (approval_id,),
        )
    assert isinstance(evaluate(), RunRequest)  # reminder due
