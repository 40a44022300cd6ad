"""The one ``Definitions`` object of the ``promoteros_pipelines`` code location."""

import os

from dagster import Definitions, EnvVar, load_assets_from_modules

from promoteros_pipelines.defs.alerts import assets as alerts
from promoteros_pipelines.defs.alerts import digest
from promoteros_pipelines.defs.alerts.sensors import RUN_FAILURE_SENSORS
from promoteros_pipelines.defs.analytics import assets as analytics
from promoteros_pipelines.defs.analytics import viral
from promoteros_pipelines.defs.analytics.schedules import ANALYTICS_JOBS, ANALYTICS_SCHEDULES
from promoteros_pipelines.defs.custom_reports.jobs import (
    custom_report,
    expire_custom_reports,
    expire_custom_reports_hourly,
)
from promoteros_pipelines.defs.custom_reports.resource import CustomReportsResource
from promoteros_pipelines.defs.discovery import assets as discovery
from promoteros_pipelines.defs.discovery.jobs import discover_and_pull, track_watched_artists
from promoteros_pipelines.defs.discovery.schedules import discover_and_pull_every_6_hours
from promoteros_pipelines.defs.inbox.sensors import event_sensors
from promoteros_pipelines.defs.metrics import assets as metrics
from promoteros_pipelines.defs.metrics import scraper as scraper_metrics
from promoteros_pipelines.defs.reference import assets as reference
from promoteros_pipelines.defs.reference.jobs import load_reference_data
from promoteros_pipelines.defs.reports import assets as weekly_report
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.mailer import DEFAULT_FROM, MAIL_FROM_ENV, SMTP_URL_ENV, Mailer
from promoteros_pipelines.resources.notifier import SECRET_ENV, TARGETS_ENV, Notifier
from promoteros_pipelines.resources.platforms.resources import (
    BandsintownResource,
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.sms import SmsGateway
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import DATABASE_URL_ENV

ASSET_MODULES = [
    reference,
    discovery,
    metrics,
    scraper_metrics,
    analytics,
    viral,
    alerts,
    digest,
    weekly_report,
]
ASSETS = load_assets_from_modules(ASSET_MODULES)
JOBS = [
    load_reference_data,
    discover_and_pull,
    track_watched_artists,
    scraper_metrics.ingest_scraper_metrics,
    custom_report,
    expire_custom_reports,
    alerts.alert_delivery,
    digest.daily_digest_job,
    *ANALYTICS_JOBS,
]


def _influxdb() -> InfluxMirror:
    """Enabled only when INFLUXDB_URL is set; the token stays an EnvVar, never a literal."""
    if not os.environ.get("INFLUXDB_URL"):
        return InfluxMirror()
    return InfluxMirror(
        url=EnvVar("INFLUXDB_URL"),
        token=EnvVar("INFLUXDB_TOKEN"),
        org=os.environ.get("INFLUXDB_ORG", "promoteros"),
        bucket=os.environ.get("INFLUXDB_BUCKET", "promoteros"),
    )


defs = Definitions(
    assets=ASSETS,
    jobs=JOBS,
    sensors=[*event_sensors(JOBS, ASSETS), *RUN_FAILURE_SENSORS],
    schedules=[
        discover_and_pull_every_6_hours,
        expire_custom_reports_hourly,
        alerts.alert_delivery_every_5_minutes,
        digest.daily_digest_schedule,
        *ANALYTICS_SCHEDULES,
        *weekly_report.weekly_report_schedules(),
    ],
    resources={
        "warehouse": PostgresWarehouse(database_url=EnvVar(DATABASE_URL_ENV)),
        "spotify": SpotifyResource.from_env(),
        "youtube": YouTubeResource.from_env(),
        "tiktok": TikTokResource.from_env(),
        "instagram": InstagramResource.from_env(),
        "bandsintown": BandsintownResource.from_env(),
        "influxdb": _influxdb(),
        "mailer": Mailer(
            smtp_url=EnvVar(SMTP_URL_ENV) if os.environ.get(SMTP_URL_ENV) else None,
            mail_from=os.environ.get(MAIL_FROM_ENV) or DEFAULT_FROM,
        ),
        "custom_reports": CustomReportsResource.from_env(),
        "notifier": Notifier(
            database_url=EnvVar(DATABASE_URL_ENV),
            targets=os.environ.get(TARGETS_ENV, ""),
            signing_secret=EnvVar(SECRET_ENV) if os.environ.get(SECRET_ENV) else "",
        ),
        "sms": SmsGateway.from_env(),
    },
)
