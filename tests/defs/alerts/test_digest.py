"""daily_digest: one styled email per organisation per day (HTML and plain text), gainers that
really grew, counts in words, hostile artist names as text."""

import datetime as dt
import re

import pytest
from alerts_support import Stack, alert, alert_stack, organisation, recipient
from dagster import materialize

from promoteros_pipelines.defs.alerts.assets import alert_notifications
from promoteros_pipelines.defs.alerts.digest import daily_digest

DAY = dt.date(2026, 6, 10)
HOSTILE = ["<script>alert(1)</script>", "{{7*7}}", "Evil\r\nBcc: attacker@evil.example"]


@pytest.fixture
def stack(database_url: str):
    with alert_stack(database_url) as running:
        yield running


def artist(stack: Stack, name: str) -> int:
    rows = stack.sql(
        "INSERT INTO promoteros.artists (name, normalized_name) VALUES (%s, %s)"
        " RETURNING artist_id",
        (name, name.lower()),
    )
    return rows[0]["artist_id"]


def momentum(
    stack: Stack,
    artist_id: int,
    day: dt.date,
    score: float,
    why: str,
    growth_7d: float | None = 0.12,
) -> None:
    stack.sql(
        "INSERT INTO promoteros.artist_momentum (artist_id, day, momentum_score, why,"
        " growth_7d, followers, lead_platform, peer_growth_median, momentum_version,"
        " platforms_scored) VALUES (%s, %s, %s, %s, %s, 12700, 'tiktok', 0.03, 'test', 1)",
        (artist_id, day, score, why, growth_7d),
    )


def viral_event(stack: Stack, artist_id: int, explanation: str) -> None:
    at = dt.datetime.combine(DAY, dt.time(9), tzinfo=dt.UTC)
    stack.sql(
        "INSERT INTO promoteros.viral_events (artist_id, window_start, detected_at,"
        " last_signal_at, status, signal_count, signal_types, platforms, evidence_keys,"
        " peak_strength, explanation) VALUES (%s, %s, %s, %s, 'new', 1, '{follower_spike}',"
        " '{tiktok}', '{k}', 3.0, %s)",
        (artist_id, at, at, at, explanation),
    )


def visible(html: str) -> str:
    """What a reader sees of an HTML part: text without tags, spacing collapsed (entities
    stay escaped, so escaped markup is still recognisable)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" )", ")")


def run_digest(stack: Stack) -> dict:
    result = materialize([daily_digest], resources=stack.resources(), partition_key=DAY.isoformat())
    assert result.success
    return result.asset_materializations_for_node("daily_digest")[0].metadata


def test_digest_once_per_organisation_with_hostile_names_as_text(stack: Stack) -> None:
    north = organisation(stack, "north")
    south = organisation(stack, "south", "Europe/Berlin")
    analyst = recipient(stack, north, "Ana Lyst", "analyst", channels=["email"], max_per_hour=1)
    recipient(stack, north, "Olu Ops", "ops", channels=["in_app"])
    recipient(stack, north, "Vera Venue", "venue_manager")  # venue managers get no digest
    recipient(stack, south, "Sid South", "exec", channels=["in_app"])
    ids = [artist(stack, name) for name in HOSTILE]
    for rank, artist_id in enumerate(ids):
        momentum(stack, artist_id, DAY - dt.timedelta(days=1), 40, "steady")
        momentum(stack, artist_id, DAY, 60 + rank * 10, "<b>bold</b> growth")
    # the biggest score jump of the day, but followers fell: not a gainer
    shrinking = artist(stack, "Shrinking Violet")
    momentum(stack, shrinking, DAY - dt.timedelta(days=1), 10, "steady", growth_7d=-0.05)
    momentum(stack, shrinking, DAY, 95, "engagement 99%", growth_7d=-0.05)
    viral_event(stack, ids[0], "<img src=x onerror=alert(1)> 300% in a day")
    # two viral alerts for an analyst capped at one an hour: the second waits for the digest
    alert(stack, "viral:a", "viral", "warning", subject="First {{7*7}}")
    capped = alert(stack, "viral:b", "viral", "warning", subject="<script>Second</script>")
    stack.run(alert_notifications)
    stack.smtp.received.clear()
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC)
    stack.sql("UPDATE promoteros.notification_log SET created_at = %s", (noon,))

    metadata = run_digest(stack)
    assert metadata["digests_sent"].value == 2
    assert metadata["alerts_held_back"].value == 1
    mails = {m.recipients[0].split("@")[1]: m for m in stack.smtp.received if m.recipients}
    assert len(stack.smtp.received) == 2
    north_mail = mails[f"{north}.example"]
    assert sorted(north_mail.recipients) == [
        f"ana.lyst@{north}.example",
        f"olu.ops@{north}.example",
    ]
    message = north_mail.message
    # the CR-LF artist (top mover) is in the subject on one line and adds no header
    assert "Bcc" not in message and "\n" not in message["Subject"]
    subject = str(message["Subject"])
    top = "top mover Evil Bcc: attacker@evil.example"
    assert subject == f"North daily digest {DAY.isoformat()}: {top}"  # no leading space
    assert "Bcc: attacker" not in message.as_string().split("\n\n")[0].replace(subject, "")
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    # one styled HTML part and a plain-text part with the same content, counts in words
    assert html.lstrip().lower().startswith("<!doctype html>") and "style=" in html
    for part in (visible(html), " ".join(text.split())):
        assert "3 momentum gainers, 1 new viral event, 1 alert held back." in part
        assert "Shrinking Violet" not in part  # score up, followers down: not a gainer
        assert "TikTok followers +12% in 7 days to 12,700, about 4x as fast" in part
        assert "explanation" not in part and "robust" not in part
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "{{7*7}}" in html and "49" not in html
    assert "{{7*7}}" in text and "<script>alert(1)</script>" in text
    assert "&lt;script&gt;Second&lt;/script&gt;" in html
    assert "&lt;script&gt;Second&lt;/script&gt; (hourly cap, 1 person)" in visible(html)
    assert "<script>Second</script> (hourly cap, 1 person)" in text
    assert message["Message-ID"] == f"<digest-north-{DAY.isoformat()}@promoteros.invalid>"
    digested = stack.sql(
        "SELECT digest_day FROM promoteros.notification_log"
        " WHERE alert_id = %s AND status = 'capped'",
        (capped,),
    )
    assert digested == [{"digest_day": DAY}]
    slack = [body["text"] for path, _, body in stack.hooks.posts if path == "/slack"]
    assert len(slack) == 2 and any("1 alert held back" in text for text in slack)
    assert all("Shrinking Violet" not in text for text in slack)
    assert analyst  # the capped analyst is among the digest's readers

    again = run_digest(stack)
    assert again["digests_sent"].value == 0 and again["digests_skipped"].value == 2
    assert len(stack.smtp.received) == 2
    assert len([p for p in stack.hooks.posts if p[0] == "/slack"]) == 2


def test_pending_approvals_are_listed_for_the_organisation_with_who_decides(stack: Stack) -> None:
    from promoteros_pipelines.defs.approvals.store import request_approval
    from promoteros_pipelines.resources.warehouse import PostgresWarehouse

    north = organisation(stack, "north")
    organisation(stack, "south")
    recipient(stack, north, "Olu Ops", "ops")
    warehouse = PostgresWarehouse(database_url=stack.database_url)
    approval_id, _ = request_approval(
        warehouse,
        kind="booking_offer",
        request_key="offer-1",
        requested_by="ana@north.example",
        subject={"artist": "<b>Bold</b> Act\r\nBcc: x@evil.example", "venue": "koko"},
        organisation="north",
    )
    request_approval(
        warehouse, kind="booking_offer", request_key="offer-2", requested_by="s@south.example",
        subject={"artist": "Southern Act", "venue": "tempodrom"}, organisation="south",
    )  # fmt: skip

    run_digest(stack)
    (mail,) = [m for m in stack.smtp.received if m.recipients]
    text = " ".join(mail.message.get_body(("plain",)).get_content().split())
    html = mail.message.get_body(("html",)).get_content()
    assert "WAITING FOR A DECISION" in text
    assert "exec or the venue manager of koko may decide" in text
    assert f"promoteros approvals approve {approval_id} --by YOUR-EMAIL" in text
    assert "Southern Act" not in text  # another organisation's request
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html


def test_a_system_warning_reaches_ops_only_through_the_digest(stack: Stack) -> None:
    north = organisation(stack, "north")
    recipient(stack, north, "Olu Ops", "ops", channels=["email"])
    alert(stack, "system:warn", "system", "warning", subject="InfluxDB is down")
    alert(stack, "system:crit", "system", "critical", subject="Database is down")
    alert(stack, "system:note", "system", "info", subject="SMTP recovered")
    stack.run(alert_notifications)
    subjects = [m.message["Subject"] for m in stack.smtp.received]
    assert subjects == ["[PromoterOS critical] Database is down"]  # only critical at once
    stack.smtp.received.clear()
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC)
    stack.sql("UPDATE promoteros.notification_log SET created_at = %s", (noon,))

    metadata = run_digest(stack)

    assert metadata["alerts_held_back"].value == 1
    [mail] = [m for m in stack.smtp.received if m.recipients]
    text = next(p for p in mail.message.walk() if p.get_content_type() == "text/plain")
    body = text.get_content()
    assert "InfluxDB is down (system warning, digest only, 1 person)" in body
    assert "SMTP recovered" not in body and "Database is down" not in body
