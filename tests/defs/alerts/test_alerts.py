"""alert_notifications against real PostgreSQL, SMTP (aiosmtpd), an SMS stand-in and webhooks."""

import pytest
from alerts_support import Stack, alert, alert_stack, log, organisation, quiet_now, recipient
from dagster import DagsterInstance, materialize

from promoteros_pipelines.defs.alerts.assets import NO_DEAD_NOTIFICATIONS, alert_notifications
from promoteros_pipelines.defs.alerts.delivery import replay_dead
from promoteros_pipelines.defs.reference.loader import read_reference
from promoteros_pipelines.defs.reference.preferences import read_preferences, store_preferences
from promoteros_pipelines.defs.reference.store import store_reference
from promoteros_pipelines.resources.notifier import Notifier
from promoteros_pipelines.resources.sms import SmsGateway
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


@pytest.fixture
def stack(database_url: str):
    with alert_stack(database_url) as running:
        yield running


def test_each_channel_once_quiet_hours_deferred_and_reruns_send_nothing(stack: Stack) -> None:
    org = organisation(stack, "north")
    ops = recipient(
        stack,
        org,
        "Olu Ops",
        "ops",
        channels=["email", "slack", "sms", "in_app"],
        phone="+447700900123",
    )
    analyst = recipient(stack, org, "Ana Lyst", "analyst")  # no preferences: email + in-app
    night_owl = recipient(stack, org, "Ed Exec", "exec", "UTC", channels=["email"], **quiet_now())
    system = alert(stack, "system:1", "system", "critical", subject="Pipeline down")
    viral = alert(stack, "viral:1", "viral", "critical", subject="Nova is spiking")

    first = stack.run(alert_notifications)
    rows = log(stack)
    assert {key: row["status"] for key, row in rows.items()} == {
        (system, ops, "email"): "sent",
        (system, ops, "slack"): "sent",
        (system, ops, "sms"): "sent",
        (system, ops, "in_app"): "sent",
        (viral, analyst, "email"): "sent",
        (viral, analyst, "in_app"): "sent",
        (viral, night_owl, "email"): "deferred",
    }
    assert first["email_sent"].value == 2 and first["email_deferred"].value == 1
    assert all(stack.checks.values())
    assert sorted(m.recipients[0] for m in stack.smtp.received) == sorted(
        [f"olu.ops@{org}.example", f"ana.lyst@{org}.example"]
    )
    message_ids = {m.message["Message-ID"] for m in stack.smtp.received}
    assert any(f"alert-{system}-r{ops}-email" in mid for mid in message_ids)
    assert [m["Body"] for m in stack.sms.received] == ["PromoterOS critical: Pipeline down"]
    paths = sorted(path for path, _, _ in stack.hooks.posts)
    assert paths == ["/slack", "/ui", "/ui"]  # one Slack post, two in-app broadcasts
    in_app = stack.sql("SELECT alert_id, recipient_id FROM promoteros.in_app_notifications")
    assert len(in_app) == 2

    stack.run(alert_notifications)
    stack.run(alert_notifications)
    assert len(stack.smtp.received) == 2 and len(stack.sms.received) == 1
    assert len(stack.hooks.posts) == 3

    # quiet hours end: the deferred email goes out, once
    stack.sql(
        "UPDATE promoteros.notification_log SET next_attempt_at = now() WHERE status = 'deferred'"
    )
    stack.run(alert_notifications)
    stack.run(alert_notifications)
    assert [m.recipients[0] for m in stack.smtp.received].count(f"ed.exec@{org}.example") == 1
    statuses = stack.sql("SELECT alert_id, status FROM promoteros.alerts ORDER BY alert_id")
    assert [row["status"] for row in statuses] == ["delivered", "delivered"]


def test_hourly_cap_holds_back_the_excess_for_the_digest(stack: Stack) -> None:
    org = organisation(stack, "north")
    analyst = recipient(stack, org, "Ana Lyst", "analyst", channels=["email"], max_per_hour=2)
    ids = [alert(stack, f"viral:{i}", "viral", "warning", subject=f"Artist {i}") for i in range(4)]
    metadata = stack.run(alert_notifications)
    statuses = [log(stack)[(a, analyst, "email")]["status"] for a in ids]
    assert statuses == ["sent", "sent", "capped", "capped"]
    assert metadata["email_capped"].value == 2
    more = alert(stack, "viral:late", "viral", "critical", subject="Late but loud")
    stack.run(alert_notifications)
    assert log(stack)[(more, analyst, "email")]["status"] == "capped"  # the hour is used up
    assert len(stack.smtp.received) == 2


def test_severity_and_dedupe(stack: Stack) -> None:
    org = organisation(stack, "north")
    recipient(stack, org, "Olu Ops", "ops", channels=["email"], min_severity="critical")
    quiet = alert(stack, "system:info", "system", "info")
    stack.run(alert_notifications)
    assert log(stack) == {}
    assert stack.sql("SELECT status FROM promoteros.alerts WHERE alert_id = %s", (quiet,)) == [
        {"status": "suppressed"}
    ]
    # a producer filing the same alert twice: the dedupe key keeps one alert, one email
    stack.sql(
        "INSERT INTO promoteros.alerts (alert_type, severity, subject, dedupe_key)"
        " VALUES ('system', 'critical', 'x', 'dup'), ('system', 'critical', 'x', 'dup')"
        " ON CONFLICT (dedupe_key) DO NOTHING"
    )
    stack.run(alert_notifications)
    stack.run(alert_notifications)
    assert len(stack.smtp.received) == 1


def test_a_crash_between_send_and_record_does_not_send_twice(stack: Stack) -> None:
    org = organisation(stack, "north")
    ops = recipient(stack, org, "Olu Ops", "ops", channels=["sms", "email"], phone="+447700900123")
    system = alert(stack, "system:crash", "system", "critical", subject="Disk full")
    # what a crashed run leaves behind: routed, claimed ('sending', lease running), SMS sent
    stack.sql(
        "INSERT INTO promoteros.notification_log (alert_id, recipient_id, channel, status,"
        " idempotency_key, attempts, next_attempt_at) VALUES"
        " (%(a)s, %(r)s, 'sms', 'sending', %(k)s, 1, now() + interval '10 minutes'),"
        " (%(a)s, %(r)s, 'email', 'sending', %(e)s, 1, now() + interval '10 minutes')",
        {
            "a": system,
            "r": ops,
            "k": f"alert-{system}-r{ops}-sms",
            "e": f"alert-{system}-r{ops}-email",
        },
    )
    stack.sql("UPDATE promoteros.alerts SET status = 'delivering'")
    gateway: SmsGateway = stack.resources()["sms"]
    gateway.send("+447700900123", "Disk full", f"alert-{system}-r{ops}-sms")

    stack.run(alert_notifications)  # the lease still runs: a concurrent run leaves it alone
    assert len(stack.sms.received) == 1 and stack.smtp.received == []
    stack.sql("UPDATE promoteros.notification_log SET next_attempt_at = now()")  # lease expired
    stack.run(alert_notifications)
    stack.run(alert_notifications)
    assert len(stack.sms.received) == 1  # the provider recognised the idempotency key
    assert len(stack.smtp.received) == 1  # and the email, with the same Message-ID, once
    assert f"alert-{system}-r{ops}-email" in stack.smtp.received[0].message["Message-ID"]
    assert {row["status"] for row in log(stack).values()} == {"sent"}


def test_smtp_down_retried_then_dead_one_system_alert_then_nothing_twice(stack: Stack) -> None:
    org = organisation(stack, "north")
    ops = recipient(stack, org, "Olu Ops", "ops", channels=["email", "in_app"])
    down = alert(stack, "system:first", "system", "critical", subject="Scraper stalled")
    stack.smtp.fail_next(1000)
    for _ in range(5):
        stack.run(alert_notifications, max_attempts=3)
    row = log(stack)[(down, ops, "email")]
    assert row["status"] == "dead" and row["attempts"] == 3
    assert stack.checks[NO_DEAD_NOTIFICATIONS] is False
    assert "451" in row["last_error"]
    system = stack.sql(
        "SELECT alert_id, subject FROM promoteros.alerts WHERE dedupe_key LIKE 'delivery-dead:%'"
    )
    assert len(system) == 1  # the dead email about the dead email did not file another
    assert system[0]["subject"] == "Alerts by email are not getting through"
    # ops still heard in-app about both the original alert and the dead channel
    in_app = stack.sql("SELECT alert_id FROM promoteros.in_app_notifications ORDER BY alert_id")
    assert [r["alert_id"] for r in in_app] == [down, system[0]["alert_id"]]

    stack.smtp.fail_next(0)  # the server recovers
    # (critical: system warnings wait for the daily digest, critical ones go out at once)
    later = alert(stack, "system:second", "system", "critical", subject="Queue growing")
    for _ in range(3):
        stack.run(alert_notifications, max_attempts=3)
    subjects = sorted(m.message["Subject"] for m in stack.smtp.received)
    # the dead notification stays dead; the system alert (still retrying) and new ones go out
    assert subjects == [
        "[PromoterOS critical] Alerts by email are not getting through",
        "[PromoterOS critical] Queue growing",
    ]
    notice = [m.message for m in stack.smtp.received if "through" in m.message["Subject"]]
    assert "given up after 3 attempt(s)" in notice[0].get_content()

    # a person replays the dead letters once the cause is fixed: the original goes out, once
    assert replay_dead(PostgresWarehouse(database_url=stack.database_url), "email") == 1
    for _ in range(2):
        stack.run(alert_notifications, max_attempts=3)
    subjects = [m.message["Subject"] for m in stack.smtp.received]
    assert subjects.count("[PromoterOS critical] Scraper stalled") == 1
    assert len(subjects) == 3
    assert log(stack)[(later, ops, "email")]["status"] == "sent"


def test_smtp_hiccup_is_retried_and_sent_once(stack: Stack) -> None:
    org = organisation(stack, "north")
    ops = recipient(stack, org, "Olu Ops", "ops", channels=["email"])
    hiccup = alert(stack, "system:hiccup", "system", "critical", subject="Slow API")
    stack.smtp.fail_next(2)
    for _ in range(5):
        stack.run(alert_notifications, max_attempts=5)
    row = log(stack)[(hiccup, ops, "email")]
    assert row["status"] == "sent" and row["attempts"] == 3
    assert len(stack.smtp.received) == 1


def test_shipped_preferences_file_loads_twice_as_once(warehouse) -> None:
    store_reference(warehouse, read_reference())
    preferences = read_preferences()
    store_preferences(warehouse, preferences)
    store_preferences(warehouse, preferences)
    stored = warehouse.read_table("alert_preferences")
    assert stored.height == preferences.height == 7
    assert stored.filter(stored["phone"].is_not_null())["channels"].to_list() == [
        ["email", "slack", "sms", "in_app"]
    ]


def test_channels_that_are_not_set_up_are_skipped_not_sent_to_dead_letters(stack: Stack) -> None:
    org = organisation(stack, "south")
    ops = recipient(
        stack,
        org,
        "Sam Ops",
        "ops",
        channels=["email", "slack", "sms", "in_app"],
        phone="+447700900124",
    )
    system = alert(stack, "system:2", "system", "critical", subject="Pipeline down")
    bare = stack.resources() | {
        "notifier": Notifier(warehouse=PostgresWarehouse(database_url=stack.database_url)),
        "sms": SmsGateway(),  # no gateway
    }
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [alert_notifications],
        resources=bare,
        instance=instance,
        run_config={"ops": {"alert_notifications": {"config": {"max_attempts": 1}}}},
    )
    assert result.success
    assert {key: row["status"] for key, row in log(stack).items()} == {
        (system, ops, "email"): "sent",
        (system, ops, "in_app"): "sent",
    }
    # nothing went dead, so no "alerts by slack/sms are not getting through" mail to ops
    assert stack.sql("SELECT count(*) AS n FROM promoteros.alerts")[0]["n"] == 1
    assert len(stack.smtp.received) == 1
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    skipped = [m for m in messages if m.startswith("Not set up, so skipped")]
    assert len(skipped) == 1 and "Slack" in skipped[0] and "SMS" in skipped[0]
