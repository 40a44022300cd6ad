"""The daily digest: one email per organisation per day, plus a Slack summary for ops.

Templates live beside this module (``templates/daily_digest.*.j2``): a styled HTML part in the
weekly reports' look, built from the macros in ``rendering/templates/_email.html.j2``
(shared with the weekly report mail), and a plain-text part with the same content. The HTML
renders with autoescaping, so an artist called ``<script>`` shows as text, and values are
data, never template source, so ``{{7*7}}`` stays literal. ``digest_log`` (organisation, day)
records the send: re-materialising a day renders again but never sends twice.

A momentum gainer is an artist whose momentum score rose since the day before *and* whose
followers grew over the last 7 days: a score can also rise on engagement alone, and an artist
losing followers is not news to a promoter. Sentences come from ``domain.wording`` (numbers in
plain words) rather than the analytics' own explanations.
"""

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetKey,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    asset,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from promoteros_pipelines import rendering
from promoteros_pipelines.defs.alerts.assets import GROUP, OWNERS, alert_notifications
from promoteros_pipelines.defs.alerts.delivery import stable_message_id
from promoteros_pipelines.defs.approvals.store import ApprovalRow, list_approvals
from promoteros_pipelines.defs.partitions import analytics_daily
from promoteros_pipelines.defs.reports.kpis import viral_events_between
from promoteros_pipelines.domain.approvals import describe, who_decides
from promoteros_pipelines.domain.wording import (
    compact,
    event_sentence,
    event_status,
    growth_sentence,
    percent,
    platform_name,
    platform_names,
    plural,
)
from promoteros_pipelines.resources.mailer import Mailer, compose, display_address, one_line
from promoteros_pipelines.resources.notifier import Notifier
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

TEMPLATES = Path(__file__).parent / "templates"
# the mail look (macros in _email.html.j2) is the reports' own, shared with the weekly mail
LOOK = Path(rendering.__file__).parent / "templates"
DIGEST_ROLES = ["exec", "ops", "analyst"]
TOP_GAINERS = 10
OPS_SLACK_TARGET = "slack"
GAINER_COLUMNS = [
    {"key": "name", "title": "Artist", "num": False},
    {"key": "score", "title": "Momentum", "num": True},
    {"key": "change", "title": "Since yesterday", "num": True},
    {"key": "why", "title": "Audience growth", "num": False},
]

GAINERS = """
SELECT m.artist_id, a.name, m.momentum_score, m.growth_7d, m.followers, m.lead_platform,
    m.peer_growth_median, m.momentum_score - coalesce(p.momentum_score, 0) AS change
FROM promoteros.artist_momentum m
JOIN promoteros.artists a USING (artist_id)
LEFT JOIN promoteros.artist_momentum p ON p.artist_id = m.artist_id AND p.day = m.day - 1
WHERE m.day = $1 AND m.momentum_score > coalesce(p.momentum_score, 0) AND m.growth_7d > 0
ORDER BY change DESC, m.artist_id
LIMIT $2
"""
# capped: every one not yet in a digest (or already in this day's, so a re-run shows the same);
# deferred: those held by quiet hours that day (sent since, listed so nobody is surprised);
# system warnings are routed 'capped' on purpose: the digest is where they go
HELD = """
SELECT r.organisation_id, a.alert_id, a.severity, a.subject,
    CASE WHEN bool_or(a.alert_type = 'system' AND a.severity = 'warning')
        THEN 'system warning, digest only'
        WHEN bool_or(n.status = 'capped') THEN 'hourly cap' ELSE 'quiet hours' END AS reason,
    count(DISTINCT n.recipient_id)::bigint AS people
FROM promoteros.notification_log n
JOIN promoteros.alerts a USING (alert_id)
JOIN promoteros.recipients r USING (recipient_id)
WHERE (n.status = 'capped' AND ((n.digest_day IS NULL AND n.created_at < $2) OR n.digest_day = $3))
   OR (n.status = 'deferred' AND n.created_at >= $1 AND n.created_at < $2)
GROUP BY r.organisation_id, a.alert_id, a.severity, a.subject
ORDER BY a.alert_id
"""
MARK_DIGESTED = """
UPDATE promoteros.notification_log n SET digest_day = %s, updated_at = now()
FROM promoteros.recipients r
WHERE r.recipient_id = n.recipient_id AND r.organisation_id = %s
  AND n.status = 'capped' AND n.digest_day IS NULL AND n.created_at < %s
"""
CLAIM = """
INSERT INTO promoteros.digest_log (organisation_id, day, status, message_id, recipients)
VALUES (%s, %s, 'sending', %s, %s)
ON CONFLICT (organisation_id, day) DO UPDATE SET status = digest_log.status
RETURNING status
"""
RECORD_SENT = """
UPDATE promoteros.digest_log SET status = 'sent', sent_at = now()
WHERE organisation_id = %s AND day = %s
"""


@functools.cache
def _environments() -> tuple[Any, Any]:
    """(text, HTML) jinja2 environments, made on the first digest: jinja2 costs a fifth of a
    second to import, which every run worker would pay loading the code location."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    loader = FileSystemLoader([TEMPLATES, LOOK])
    # text/plain has no markup to escape; it is still rendered from data, never as template source
    text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)
    return text, Environment(loader=loader, autoescape=True, undefined=StrictUndefined)


def render(context: dict[str, Any]) -> tuple[str, str]:
    """The digest as (plain text, HTML)."""
    text_env, html_env = _environments()
    text = text_env.get_template("daily_digest.txt.j2").render(**context)
    html = html_env.get_template("daily_digest.html.j2").render(**context)
    return text, html


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts() if frame.height else []


def gainer_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Gainers as the digest prints them: rounded numbers and a sentence on their growth."""
    return [
        {
            "name": row["name"],
            "score": f"{row['momentum_score']:.0f}",
            "change": f"+{row['change']:.0f}" if row["change"] >= 0.5 else "+<1",
            "growth": percent(row["growth_7d"]),
            "followers": compact(row["followers"]),
            "platform": platform_name(row["lead_platform"]),
            "why": growth_sentence(row),
        }
        for row in _rows(frame)
    ]


def viral_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "name": row["artist"],
            "status": event_status(row),
            "what": event_sentence(row),
            "platforms": platform_names(row["platforms"]),
        }
        for row in _rows(frame)
    ]


def approval_rows(
    waiting: list[ApprovalRow], organisation: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """Pending approvals of the organisation (and those of no organisation, e.g. gated
    pipeline triggers): what, who may decide, how old, and the command to decide it."""
    return [
        {
            "what": describe(row.kind, row.subject),
            "who": who_decides(row.kind, row.subject),
            "age": plural(max(0, int((now - row.requested_at).total_seconds() // 3600)), "hour"),
            "expires": f"{row.expires_at:%Y-%m-%d %H:%M} UTC",
            "command": f"promoteros approvals approve {row.id} --by YOUR-EMAIL",
        }
        for row in waiting
        if row.organisation in (organisation, None)
    ]


def summary_line(gainers: int, viral: int, held: int) -> str:
    """ "3 momentum gainers, 1 new viral event, no alerts held back." """
    held_text = plural(held, "alert") + " held back" if held else "no alerts held back"
    return f"{plural(gainers, 'momentum gainer')}, {plural(viral, 'new viral event')}, {held_text}."


def _slack_summary(context: dict[str, Any]) -> str:
    top = ", ".join(one_line(row["name"]) for row in context["gainers"][:3]) or "none"
    return (
        f"*Daily digest {context['day']}: {one_line(context['organisation'])}*\n"
        f"{context['summary']} Top gainers: {top}."
    )


@asset(
    group_name=GROUP,
    kinds={"postgres", "email", "slack"},
    owners=OWNERS,
    partitions_def=analytics_daily,
    deps=[AssetKey("artist_momentum"), AssetKey("viral_events"), "alerts", alert_notifications],
)
def daily_digest(
    context: AssetExecutionContext,
    warehouse: PostgresWarehouse,
    mailer: Mailer,
    notifier: Notifier,
) -> MaterializeResult:
    """The morning email each organisation's executives, ops and analysts get: the day's
    biggest momentum gainers, new viral events, and the alerts held back by hourly caps or
    quiet hours. One per organisation per day (UTC), also summarised in the ops Slack channel;
    re-running a day never sends it again. Keyed by (`organisation_id`, `day`) in `digest_log`."""
    day = dt.date.fromisoformat(context.partition_key)
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    gainers = gainer_rows(warehouse.read_frame(GAINERS, [day, TOP_GAINERS]))
    viral = viral_rows(viral_events_between(warehouse, start, end, include_dismissed=False))
    held = warehouse.read_frame(HELD, [start, end, day])
    organisations = warehouse.read_frame(
        "SELECT organisation_id, slug, name FROM promoteros.organisations ORDER BY slug"
    )
    people = warehouse.read_frame(
        "SELECT organisation_id, name, email FROM promoteros.recipients"
        " WHERE role = ANY($1) ORDER BY recipient_id",
        [DIGEST_ROLES],
    )
    waiting = list_approvals(warehouse, status="pending", limit=1_000)
    slack_ready = OPS_SLACK_TARGET in notifier.configured_targets()
    sent, skipped, messages = 0, 0, []
    for org in organisations.iter_rows(named=True):
        org_id = org["organisation_id"]
        to = people.filter(pl.col("organisation_id") == org_id)
        if to.is_empty():
            skipped += 1
            continue
        mine = _rows(held.filter(pl.col("organisation_id") == org_id)) if held.height else []
        for row in mine:
            row["people_text"] = plural(row["people"], "person", "people")
        values = {
            "organisation": org["name"],
            "day": day.isoformat(),
            "day_long": f"{day:%A} {day.day} {day:%B %Y}",
            "title": f"{org['name']} daily digest {day.isoformat()}",
            "summary": summary_line(len(gainers), len(viral), len(mine)),
            "gainers": gainers,
            "gainer_columns": GAINER_COLUMNS,
            "viral": viral,
            "held": mine,
            "approvals": approval_rows(waiting, org["slug"], end),
        }
        text, html = render(values)
        top = f": top mover {gainers[0]['name']}" if gainers else ""
        key = f"digest-{org['slug']}-{day.isoformat()}"
        message = compose(
            sender=mailer.mail_from,
            to=[display_address(n, e) for n, e in to.select("name", "email").iter_rows()],
            subject=f"{org['name']} daily digest {day.isoformat()}{top}"[:180],
            text=text,
            html=html,
            idempotency_key=key,
        )
        message.replace_header("Message-ID", stable_message_id(key))
        with warehouse.connect() as conn:
            status = conn.execute(CLAIM, (org_id, day, message["Message-ID"], to.height))
            claimed = status.fetchone()
        if claimed and claimed[0] == "sent":
            skipped += 1
            continue
        mailer.send(message)
        with warehouse.connect() as conn:
            conn.execute(RECORD_SENT, (org_id, day))
            conn.execute(MARK_DIGESTED, (day, org_id, end))
        if slack_ready:
            notifier.enqueue(
                OPS_SLACK_TARGET, "digest.daily", {"text": _slack_summary(values)}, key
            )
        sent += 1
        messages.append(one_line(str(message["Subject"])))
    if slack_ready and sent:
        notifier.deliver_pending()
    return MaterializeResult(
        metadata={
            "digests_sent": MetadataValue.int(sent),
            "digests_skipped": MetadataValue.int(skipped),
            "momentum_gainers": MetadataValue.int(len(gainers)),
            "new_viral_events": MetadataValue.int(len(viral)),
            "alerts_held_back": MetadataValue.int(held.height),
            "subjects": MetadataValue.md("\n".join(f"* {s}" for s in messages) or "none"),
        }
    )


daily_digest_job = define_asset_job(
    "daily_digest_job",
    selection=[daily_digest],
    description="One digest email per organisation for a UTC day.",
)
# 04:00 UTC: after every organisation's 02:00 analytics run (Europe) for the day just closed
# on by default: the digest is a promise of the product (without SMTP it goes to the outbox)
daily_digest_schedule = build_schedule_from_partitioned_job(
    daily_digest_job,
    name="daily_digest_schedule",
    hour_of_day=4,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
    description="04:00 UTC: each organisation's digest of the day that just closed (momentum "
    "gainers, viral events, alerts held back by caps or quiet hours).",
)
