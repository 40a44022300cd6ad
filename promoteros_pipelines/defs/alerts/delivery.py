"""Routing pending alerts into the notification log, and delivering what is due, exactly once.

The notification log's key (alert, recipient, channel) makes routing idempotent. Delivery
claims due rows by setting them ``sending`` (attempts + 1, a lease) and commits *before*
sending; a crash between send and record leaves the row ``sending`` until the lease expires, and
the retry reuses the same idempotency key: the email's Message-ID, the outbox key (a no-op if
already queued), the SMS ``Idempotency-Key``, the in-app row's primary key. A channel that
keeps failing goes ``dead`` and files one system alert per channel per day (deduped), so a dead
email channel cannot alert about itself in a loop.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import psycopg
from psycopg.rows import dict_row

from promoteros_pipelines.defs.alerts.store import Alert, file_alert
from promoteros_pipelines.domain.alert_routing import DEFAULT_CHANNELS, ROUTED_SCHEMA, route
from promoteros_pipelines.resources.mailer import Mailer, MailError, compose, display_address
from promoteros_pipelines.resources.notifier import Notifier, parse_targets
from promoteros_pipelines.resources.sms import SmsError, SmsGateway
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import ConfigurationError

PENDING_ALERTS = """
SELECT alert_id, alert_type, severity, organisation_id,
    CASE WHEN evidence->>'venue_id' ~ '^[0-9]+$' THEN (evidence->>'venue_id')::bigint END
        AS venue_id,
    created_at
FROM promoteros.alerts WHERE status = 'pending' ORDER BY alert_id LIMIT $1
"""
RECIPIENTS = """
SELECT r.recipient_id, r.organisation_id, r.role, r.venue_id,
    coalesce(r.time_zone, o.time_zone) AS time_zone, p.channels, p.min_severity,
    p.quiet_start, p.quiet_end, p.max_per_hour, p.phone, p.slack_target
FROM promoteros.recipients r
JOIN promoteros.organisations o USING (organisation_id)
LEFT JOIN promoteros.alert_preferences p USING (recipient_id)
"""
RECENT = """
SELECT recipient_id, count(DISTINCT alert_id)::bigint AS alerts_last_hour
FROM promoteros.notification_log
WHERE created_at > $1 AND status <> 'capped'
GROUP BY recipient_id
"""
INSERT_NOTIFICATION = """
INSERT INTO promoteros.notification_log
    (alert_id, recipient_id, channel, status, next_attempt_at, idempotency_key)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (alert_id, recipient_id, channel) DO NOTHING
"""
MARK_ROUTED = """
UPDATE promoteros.alerts SET status = CASE WHEN alert_id = ANY(%s) THEN 'delivering'
    ELSE 'suppressed' END
WHERE alert_id = ANY(%s) AND status = 'pending'
"""
CLAIM_DUE = """
UPDATE promoteros.notification_log AS n
SET status = 'sending', attempts = n.attempts + 1, updated_at = now(),
    next_attempt_at = now() + make_interval(secs => %s)
FROM (
    SELECT notification_id FROM promoteros.notification_log
    WHERE status IN ('pending', 'deferred', 'sending') AND next_attempt_at <= now()
    ORDER BY next_attempt_at, notification_id
    LIMIT %s
    FOR UPDATE SKIP LOCKED
) AS due
WHERE n.notification_id = due.notification_id
RETURNING n.notification_id
"""
CLAIMED = """
SELECT n.notification_id, n.channel, n.attempts, n.idempotency_key, a.alert_id, a.alert_type,
    a.severity, a.subject, a.evidence, a.created_at, r.recipient_id, r.name, r.email, p.phone,
    p.slack_target
FROM promoteros.notification_log n
JOIN promoteros.alerts a USING (alert_id)
JOIN promoteros.recipients r USING (recipient_id)
LEFT JOIN promoteros.alert_preferences p USING (recipient_id)
WHERE n.notification_id = ANY(%s)
ORDER BY n.notification_id
"""
RECORD_SENT = """
UPDATE promoteros.notification_log
SET status = 'sent', sent_at = now(), receipt = %s, last_error = NULL, next_attempt_at = NULL,
    updated_at = now()
WHERE notification_id = %s
"""
RECORD_RETRY = """
UPDATE promoteros.notification_log
SET status = 'pending', last_error = %s, next_attempt_at = now() + make_interval(secs => %s),
    updated_at = now()
WHERE notification_id = %s
"""
RECORD_DEAD = """
UPDATE promoteros.notification_log
SET status = 'dead', last_error = %s, next_attempt_at = NULL, updated_at = now()
WHERE notification_id = %s
"""
INSERT_IN_APP = """
INSERT INTO promoteros.in_app_notifications (alert_id, recipient_id, alert_type, severity, subject)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (alert_id, recipient_id) DO NOTHING
"""
SETTLE_ALERTS = """
UPDATE promoteros.alerts AS a SET status = s.outcome
FROM (
    SELECT alert_id, CASE
        WHEN bool_or(status IN ('pending', 'deferred', 'sending')) THEN 'delivering'
        WHEN bool_or(status IN ('sent', 'capped')) THEN 'delivered'
        ELSE 'failed' END AS outcome
    FROM promoteros.notification_log
    WHERE alert_id IN (SELECT alert_id FROM promoteros.alerts WHERE status = 'delivering')
    GROUP BY alert_id
) AS s
WHERE a.alert_id = s.alert_id AND a.status <> s.outcome
"""

REPLAY_DEAD = """
UPDATE promoteros.notification_log
SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
WHERE status = 'dead' AND (%s::text IS NULL OR channel = %s)
  AND (%s::bigint IS NULL OR notification_id = %s)
"""
LIST_NOTIFICATIONS = """
SELECT n.notification_id, n.alert_id, r.email, n.channel, n.status, n.attempts,
    n.next_attempt_at, n.sent_at, n.last_error
FROM promoteros.notification_log n JOIN promoteros.recipients r USING (recipient_id)
WHERE (%s::text IS NULL OR n.status = %s)
ORDER BY n.notification_id DESC
LIMIT %s
"""


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 5
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    sending_lease_seconds: float = 600.0
    batch_limit: int = 500


@dataclass
class DeliveryOutcome:
    """What one pass did, counted by (channel, status)."""

    routed: Counter = field(default_factory=Counter)
    delivered: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    system_alerts: int = 0


class Undeliverable(Exception):
    """Retrying cannot help (bad configuration, refused number): dead at once."""


def idempotency_key(alert_id: int, recipient_id: int, channel: str) -> str:
    return f"alert-{alert_id}-r{recipient_id}-{channel}"


def stable_message_id(key: str) -> str:
    """The same Message-ID on every attempt, so a resend after a crash is a known duplicate."""
    return f"<{key}@promoteros.invalid>"


@dataclass(frozen=True)
class Channels:
    """Which channels can deliver at all: Slack needs an outbound target (the recipient's
    ``slack_target``, default ``slack``), SMS a gateway. Email always can (SMTP or the outbox),
    and in-app is a row of ours."""

    slack_targets: frozenset[str] = frozenset()
    sms: bool = False

    @classmethod
    def of(cls, notifier: Notifier, sms: SmsGateway) -> "Channels":
        return cls(frozenset(notifier.configured_targets()), sms.configured)

    @classmethod
    def from_settings(cls, targets: str, sms: SmsGateway) -> "Channels":
        """From the outbound targets setting itself (no warehouse needed)."""
        return cls(frozenset(parse_targets(targets)), sms.configured)

    def skipped(self) -> list[str]:
        """One phrase per channel that is off, saying how to turn it on."""
        off = []
        if not self.slack_targets:
            off.append(
                "Slack (no outbound target: set PROMOTEROS_OUTBOUND_URL_SLACK or add "
                "slack=https://... to PROMOTEROS_OUTBOUND_TARGETS)"
            )
        if not self.sms:
            off.append(
                "SMS (no gateway: set PROMOTEROS_SMS_ACCOUNT_SID, PROMOTEROS_SMS_AUTH_TOKEN "
                "and PROMOTEROS_SMS_FROM)"
            )
        return off

    def keep_available(self, recipients: pl.DataFrame) -> pl.DataFrame:
        """Each person's channels without those that cannot deliver, so routing skips them
        instead of queueing notifications that could only go dead."""
        wanted = pl.col("channels").fill_null(pl.lit(DEFAULT_CHANNELS, dtype=pl.List(pl.String)))
        slack_ok = pl.coalesce(pl.col("slack_target"), pl.lit("slack")).is_in(
            sorted(self.slack_targets)
        )
        channels = pl.when(slack_ok).then(wanted).otherwise(wanted.list.set_difference(["slack"]))
        if not self.sms:
            channels = channels.list.set_difference(["sms"])
        return recipients.with_columns(channels.alias("channels"))


def route_pending(
    warehouse: PostgresWarehouse,
    now: dt.datetime,
    limit: int,
    outcome: DeliveryOutcome,
    channels: Channels | None = None,
) -> None:
    """Route every pending alert into the notification log (a re-run inserts nothing new).

    With ``channels``, notifications are only made for channels that can deliver."""
    alerts = warehouse.read_frame(PENDING_ALERTS, [limit])
    if alerts.is_empty():
        return
    recipients = warehouse.read_frame(RECIPIENTS)
    if channels is not None and recipients.height:
        recipients = channels.keep_available(recipients)
    recent = warehouse.read_frame(RECENT, [now - dt.timedelta(hours=1)])
    routed = route(alerts, recipients, recent, now) if recipients.height else None
    routed = routed if routed is not None else pl.DataFrame(schema=ROUTED_SCHEMA)
    rows = [
        (*row, idempotency_key(row[0], row[1], row[2]))
        for row in routed.select(list(ROUTED_SCHEMA)).iter_rows()
    ]
    with warehouse.connect() as conn:
        with conn.cursor() as cursor:
            cursor.executemany(INSERT_NOTIFICATION, rows)
        conn.execute(
            MARK_ROUTED, (routed["alert_id"].unique().to_list(), alerts["alert_id"].to_list())
        )
    for channel, status in routed.select("channel", "status").iter_rows():
        outcome.routed[(channel, status)] += 1


def _backoff(attempts: int, policy: DeliveryPolicy) -> float:
    ceiling = min(policy.retry_max_seconds, policy.retry_base_seconds * 2 ** (attempts - 1))
    return random.uniform(ceiling / 2, ceiling)  # jittered, never hammering at once


def _text(row: dict[str, Any]) -> str:
    explanation = (row["evidence"] or {}).get("explanation") or ""
    lines = [
        f"{row['severity'].upper()} {row['alert_type']} alert",
        "",
        row["subject"],
    ]
    if explanation and explanation not in row["subject"]:
        lines += ["", str(explanation)]
    lines += ["", f"Alert {row['alert_id']}, raised {row['created_at']:%Y-%m-%d %H:%M} UTC."]
    return "\n".join(lines)


def _send(
    conn: psycopg.Connection[Any],
    row: dict[str, Any],
    mailer: Mailer,
    notifier: Notifier,
    sms: SmsGateway,
) -> str:
    """Deliver one notification; return a receipt. Raises on failure."""
    key = row["idempotency_key"]
    channel = row["channel"]
    if channel == "email":
        message = compose(
            sender=mailer.mail_from,
            to=[display_address(row["name"], row["email"])],
            subject=f"[PromoterOS {row['severity']}] {row['subject']}"[:200],
            text=_text(row),
            idempotency_key=key,
        )
        message.replace_header("Message-ID", stable_message_id(key))
        mailer.send(message)
        return str(message["Message-ID"])
    payload = {
        "alert_id": row["alert_id"],
        "alert_type": row["alert_type"],
        "severity": row["severity"],
        "subject": row["subject"],
        "recipient_id": row["recipient_id"],
        "text": f"*{row['severity'].upper()}* {row['subject']}",
    }
    if channel == "slack":
        target = row["slack_target"] or "slack"
        try:
            delivery_id, _ = notifier.enqueue(target, f"alert.{row['alert_type']}", payload, key)
        except ConfigurationError as error:
            raise Undeliverable(str(error)) from error
        return f"outbox:{delivery_id}"
    if channel == "sms":
        if not row["phone"]:
            raise Undeliverable("no phone number in this recipient's alert preferences")
        try:
            return sms.send(row["phone"], f"PromoterOS {row['severity']}: {row['subject']}", key)
        except SmsError as error:
            if error.retryable:
                raise
            raise Undeliverable(str(error)) from error
    conn.execute(
        INSERT_IN_APP,
        (row["alert_id"], row["recipient_id"], row["alert_type"], row["severity"], row["subject"]),
    )
    conn.commit()
    if "ui" in notifier.configured_targets():
        delivery_id, _ = notifier.enqueue("ui", "alert.in_app", payload, key)
        return f"in_app+outbox:{delivery_id}"
    return "in_app"


def _dead_channel_alert(
    conn: psycopg.Connection[Any], row: dict[str, Any], error: str, now: dt.datetime
) -> int:
    channel = row["channel"]
    subject = f"Alerts by {channel} are not getting through"
    explanation = (
        f"Notification {row['notification_id']} (alert {row['alert_id']}) was given up after "
        f"{row['attempts']} attempt(s), so people may be missing alerts by {channel}. Fix the "
        f"cause, then `promoteros alerts replay --channel {channel}`. Cause: {error[:300]}"
    )
    evidence = {
        "channel": channel,
        "error": error[:1000],
        "alert_id": row["alert_id"],
        "explanation": explanation,
    }
    key = f"delivery-dead:{channel}:{now.date().isoformat()}"
    return int(file_alert(conn, Alert("system", "critical", subject, key, evidence)))


def deliver_due(
    warehouse: PostgresWarehouse,
    mailer: Mailer,
    notifier: Notifier,
    sms: SmsGateway,
    policy: DeliveryPolicy,
    outcome: DeliveryOutcome,
) -> None:
    """Claim due notifications (commit ``sending`` first), send each, record the result."""
    with psycopg.connect(warehouse.database_url, row_factory=dict_row) as conn:
        claimed = conn.execute(
            CLAIM_DUE, (policy.sending_lease_seconds, policy.batch_limit)
        ).fetchall()
        conn.commit()
        ids = [r["notification_id"] for r in claimed]
        rows = conn.execute(CLAIMED, (ids,)).fetchall() if ids else []
        conn.commit()
        for row in rows:
            channel = row["channel"]
            try:
                receipt = _send(conn, row, mailer, notifier, sms)
            except (Undeliverable, MailError, SmsError, OSError, ValueError) as error:
                message = f"{type(error).__name__}: {error}"
                final = isinstance(error, Undeliverable) or row["attempts"] >= policy.max_attempts
                if final:
                    conn.execute(RECORD_DEAD, (message[:2000], row["notification_id"]))
                    outcome.delivered[(channel, "dead")] += 1
                    outcome.system_alerts += _dead_channel_alert(
                        conn, row, message, dt.datetime.now(dt.UTC)
                    )
                else:
                    delay = _backoff(row["attempts"], policy)
                    conn.execute(RECORD_RETRY, (message[:2000], delay, row["notification_id"]))
                    outcome.delivered[(channel, "retrying")] += 1
                outcome.errors.append(message[:300])
            else:
                conn.execute(RECORD_SENT, (receipt, row["notification_id"]))
                outcome.delivered[(channel, "sent")] += 1
            conn.commit()
        conn.execute(SETTLE_ALERTS)
        conn.commit()


def replay_dead(
    warehouse: PostgresWarehouse, channel: str | None = None, notification_id: int | None = None
) -> int:
    """Make dead notifications due again (attempts reset, same idempotency key); return how
    many. The next ``alert_notifications`` run sends them; one already sent stays sent."""
    return warehouse.execute(REPLAY_DEAD, (channel, channel, notification_id, notification_id))


def list_notifications(
    warehouse: PostgresWarehouse, status: str | None, limit: int
) -> list[dict[str, Any]]:
    with psycopg.connect(warehouse.database_url, row_factory=dict_row) as conn:
        return conn.execute(LIST_NOTIFICATIONS, (status, status, limit)).fetchall()
