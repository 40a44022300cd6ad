"""weekly_executive_report end to end: real PostgreSQL, a real SMTP server, PDFs read back."""

import datetime as dt

import pytest
from dagster import DagsterInstance, build_schedule_context, instance_for_test, materialize

from promoteros_pipelines.defs.reports.assets import (
    previous_week_key,
    weekly_executive_report,
    weekly_report_schedules,
)
from promoteros_pipelines.resources.mailer import Mailer
from tests.defs.reports.pdf_text import pages, tile_value
from tests.defs.reports.world import seed_world
from tests.support.smtp import SmtpServer

PARTITION = "2026-11-16"  # week 2026-W47


def _materialize(instance: DagsterInstance, warehouse, smtp: SmtpServer, **config) -> None:
    result = materialize(
        [weekly_executive_report],
        partition_key=PARTITION,
        instance=instance,
        resources={"warehouse": warehouse, "mailer": Mailer(smtp_url=smtp.url)},
        run_config={"ops": {"weekly_executive_report": {"config": config}}},
    )
    assert result.success


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMOTEROS_HOME", str(tmp_path))
    return tmp_path


def test_reports_are_archived_mailed_once_and_resent_only_on_request(warehouse, home):
    expected = seed_world(warehouse.database_url)
    warehouse.execute(
        "UPDATE promoteros.venues SET name = %s WHERE slug = 'venue-0'",
        ("Venue\r\nBcc: victim@example.com",),
    )
    with instance_for_test() as instance, SmtpServer() as smtp:
        _materialize(instance, warehouse, smtp)

        received = smtp.received
        by_recipient = {mail.recipients[0]: mail for mail in received}
        assert sorted(by_recipient) == [
            "ada@example.com",
            "manager0@example.com",
            "manager1@example.com",
            "otto@example.com",
        ]
        for mail in received:
            assert len(mail.recipients) == 1
            assert "Bcc" not in mail.message and "victim" not in mail.recipients[0]
            assert "\n" not in str(mail.message["Subject"])
        attachment = {
            email: next(mail.message.iter_attachments()) for email, mail in by_recipient.items()
        }
        assert attachment["manager0@example.com"].get_filename().endswith("venue-venue-0.pdf")
        assert attachment["manager1@example.com"].get_filename().endswith("venue-venue-1.pdf")
        # names, not slugs; one line even when the venue's name tries to add a header
        subjects = {email: str(mail.message["Subject"]) for email, mail in by_recipient.items()}
        assert subjects["manager0@example.com"] == (
            "Northern Lights Live: weekly venue report for Venue Bcc: victim@example.com,"
            " week 2026-W47"
        )
        assert subjects["manager1@example.com"] == (
            "Northern Lights Live: weekly venue report for Venue 1, week 2026-W47"
        )
        assert subjects["ada@example.com"].startswith("Northern Lights Live: weekly executive")
        # a styled HTML part and a plain-text part, both with the week in brief
        ada = by_recipient["ada@example.com"].message
        html = ada.get_body(("html",)).get_content()
        text = ada.get_body(("plain",)).get_content()
        assert "Hello Ada Exec," in text and "5 new artists tracked (4 the week before)." in text
        assert "5 new artists tracked (4 the week before)." in html and "style=" in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
        manager = by_recipient["manager1@example.com"].message
        assert "Artists to watch for Venue 1: Last Week 0 (90)" in " ".join(
            manager.get_body(("plain",)).get_content().split()
        )
        executive = attachment["ada@example.com"]
        assert executive.get_filename() == "northern-lights-live-2026-W47-executive.pdf"
        page_one = pages(executive.get_content())[0]
        assert tile_value(page_one, "New artists tracked") == str(expected.new_artists)
        assert tile_value(page_one, "Viral events found") == str(expected.viral_events)

        archive = warehouse.read_frame(
            "SELECT role, venue_id, period, path, sha256 FROM promoteros.report_archive"
        )
        assert archive.height == 4 and set(archive["period"]) == {"2026-W47"}
        assert all(path.startswith(str(home / "reports")) for path in archive["path"])

        _materialize(instance, warehouse, smtp)  # a re-run mails nobody again
        assert len(smtp.received) == 4
        assert (
            warehouse.read_frame("SELECT count(*) AS n FROM promoteros.report_archive")["n"][0] == 4
        )

        _materialize(instance, warehouse, smtp, resend=True)
        assert len(smtp.received) == 8
        deliveries = warehouse.read_frame(
            "SELECT status, attempts FROM promoteros.report_deliveries"
        )
        assert set(deliveries["status"]) == {"sent"} and set(deliveries["attempts"]) == {2}


def test_one_schedule_per_time_zone_reports_last_local_week():
    schedules = {s.name: s for s in weekly_report_schedules()}
    london = schedules["weekly_executive_report_europe_london"]
    assert london.cron_schedule == "0 9 * * 1" and london.execution_timezone == "Europe/London"
    monday = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    context = build_schedule_context(scheduled_execution_time=monday)
    request = london(context)
    assert request.partition_key == PARTITION
    config = request.run_config["ops"]["weekly_executive_report"]["config"]
    assert config == {"time_zone": "Europe/London"}
    assert previous_week_key(dt.datetime(2026, 11, 29, 23, 0)) == PARTITION
