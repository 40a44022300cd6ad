"""Alerts group: recipients' alert preferences and the notifications sent from alerts."""

import datetime as dt
from collections.abc import Sequence

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetSelection,
    AssetSpec,
    Config,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from pydantic import Field

from promoteros_pipelines.defs.alerts.delivery import (
    Channels,
    DeliveryOutcome,
    DeliveryPolicy,
    deliver_due,
    route_pending,
)
from promoteros_pipelines.defs.metadata import markdown_table, table
from promoteros_pipelines.defs.reference.preferences import read_preferences, store_preferences
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.notifier import Notifier
from promoteros_pipelines.resources.sms import SmsGateway
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import ConfigurationError

GROUP = "alerts"
OWNERS = ["team:ops"]
NO_DEAD_NOTIFICATIONS = "NO_DEAD_NOTIFICATIONS"
NO_OVERDUE_NOTIFICATIONS = "NO_OVERDUE_NOTIFICATIONS"
HEALTH = """
SELECT count(*) FILTER (WHERE status = 'dead' AND updated_at > now() - interval '1 day')
        AS dead_last_day,
    count(*) FILTER (WHERE status IN ('pending', 'deferred', 'sending')
        AND next_attempt_at < now() - interval '1 hour') AS overdue
FROM promoteros.notification_log
"""


def alerts_table(producers: Sequence[AssetKey]) -> AssetSpec:
    """The ``alerts`` table, drawn downstream of every asset that files alerts (those with
    ``metadata={FILES_INTO: "alerts"}``; ``definitions.py`` finds them across the areas)."""
    return AssetSpec(
        "alerts",
        group_name=GROUP,
        kinds={"postgres"},
        owners=OWNERS,
        deps=list(producers),
        metadata=table("alerts"),
        description=(
            "Everything a person should hear about: viral events, ticket milestones, booking "
            "opportunities, data-quality findings and failed runs, one row per dedupe key "
            "(filing the same alert twice files it once). Filed by the assets upstream of it "
            "and by the run-failure sensors; `alert_notifications` routes and delivers them."
        ),
    )


class AlertDeliveryConfig(Config):
    """Retry policy for notifications (tests shorten the waits)."""

    max_attempts: int = Field(default=5, ge=1, description="Tries before a notification is dead.")
    retry_base_seconds: float = Field(default=60.0, ge=0, description="First retry delay.")
    retry_max_seconds: float = Field(default=3600.0, ge=0, description="Longest retry delay.")
    sending_lease_seconds: float = Field(
        default=600.0, ge=0, description="How long a claimed send blocks a retry (crash guard)."
    )
    batch_limit: int = Field(default=500, ge=1, description="Alerts / notifications per run.")


@asset(
    group_name=GROUP,
    kinds={"polars", "postgres"},
    owners=OWNERS,
    deps=[AssetKey("recipients")],
)
def alert_preferences(warehouse: PostgresWarehouse) -> MaterializeResult:
    """How each person wants to hear about alerts: channels (email, Slack, SMS, in-app), the
    least severe alert worth telling them, quiet hours in their time zone, and an hourly cap.
    People without a row get email and in-app for everything. Keyed by `recipient_id`."""
    preferences = read_preferences()
    changed = store_preferences(warehouse, preferences)
    return MaterializeResult(
        metadata={
            "dagster/row_count": MetadataValue.int(preferences.height),
            "rows_changed": MetadataValue.int(changed),
            "preview": markdown_table(
                preferences.select(
                    "organisation", "email", pl.col("channels").list.join(", "), "min_severity"
                )
            ),
        }
    )


def _counts_table(outcome: DeliveryOutcome) -> pl.DataFrame:
    rows = [(c, s, n) for (c, s), n in {**outcome.routed, **outcome.delivered}.items()]
    frame = pl.DataFrame(rows, schema=["channel", "status", "count"], orient="row")
    if frame.is_empty():
        return frame
    return frame.pivot("status", index="channel", values="count").fill_null(0).sort("channel")


@asset(
    group_name=GROUP,
    kinds={"postgres", "email", "slack"},
    owners=OWNERS,
    deps=["alerts", alert_preferences],
    check_specs=[
        AssetCheckSpec(
            NO_DEAD_NOTIFICATIONS,
            asset="alert_notifications",
            description="No notification was given up in the last 24 hours.",
        ),
        AssetCheckSpec(
            NO_OVERDUE_NOTIFICATIONS,
            asset="alert_notifications",
            description="Nothing due has waited more than an hour (delivery keeps up).",
        ),
    ],
)
def alert_notifications(
    context,
    config: AlertDeliveryConfig,
    warehouse: PostgresWarehouse,
    mailer: Mailer,
    notifier: Notifier,
    sms: SmsGateway,
) -> MaterializeResult:
    """Every alert (viral, booking, milestone, risk, system) turned into messages for the
    people who should hear about it, by role, severity and their preferences. One row per
    (alert, person, channel), sent at most once: `sent`, `deferred` (quiet hours; sent when they
    end), `capped` (over the hourly limit; in the next daily digest) or `dead` (gave up after
    repeated failures; ops get a system alert). Channels that are not set up (Slack without an
    outbound target, SMS without a gateway) are skipped, and the run says so once."""
    policy = DeliveryPolicy(**config.model_dump())
    outcome = DeliveryOutcome()
    channels = Channels.of(notifier, sms)
    if channels.skipped():
        context.log.info("Not set up, so skipped: " + "; ".join(channels.skipped()) + ".")
    route_pending(warehouse, dt.datetime.now(dt.UTC), policy.batch_limit, outcome, channels)
    deliver_due(warehouse, mailer, notifier, sms, policy, outcome)
    if notifier.configured_targets():
        try:
            pushed = notifier.deliver_pending()
            context.log.info(f"outbox: {len(pushed.delivered)} delivered, {len(pushed.dead)} dead")
        except ConfigurationError as error:
            context.log.warning(f"outbox not drained: {error}")
    for problem in outcome.errors[:10]:
        context.log.warning(problem)
    counts = _counts_table(outcome)
    metadata = {
        "notifications_routed": MetadataValue.int(sum(outcome.routed.values())),
        "notifications_attempted": MetadataValue.int(sum(outcome.delivered.values())),
        "system_alerts_filed": MetadataValue.int(outcome.system_alerts),
        "by_channel": markdown_table(counts) if counts.height else MetadataValue.text("none"),
    }
    for (channel, status), count in sorted({**outcome.routed, **outcome.delivered}.items()):
        metadata[f"{channel}_{status}"] = MetadataValue.int(count)
    health = warehouse.read_frame(HEALTH).row(0, named=True)
    checks = [
        AssetCheckResult(
            check_name=NO_DEAD_NOTIFICATIONS,
            passed=health["dead_last_day"] == 0,
            severity=AssetCheckSeverity.WARN,
            metadata={"dead_last_day": MetadataValue.int(health["dead_last_day"])},
            description="`promoteros alerts list --status dead` shows them; replay after a fix.",
        ),
        AssetCheckResult(
            check_name=NO_OVERDUE_NOTIFICATIONS,
            passed=health["overdue"] == 0,
            severity=AssetCheckSeverity.WARN,
            metadata={"overdue": MetadataValue.int(health["overdue"])},
        ),
    ]
    return MaterializeResult(metadata=metadata, check_results=checks)


alert_delivery = define_asset_job(
    "alert_delivery",
    selection=AssetSelection.assets(alert_notifications),
    description="Route new alerts and send the notifications that are due.",
)
alert_delivery_every_5_minutes = ScheduleDefinition(
    name="alert_delivery_every_5_minutes",
    job=alert_delivery,
    cron_schedule="*/5 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every 5 minutes: route new alerts to people and send what is due (quiet hours "
    "and hourly caps respected).",
)
