"""The resources every area's assets, sensors and jobs ask for by name.

Secrets and URLs are bound as ``EnvVar``s, so the Dagster UI shows their names, never their
values; optional services (InfluxDB, SMTP, outbound targets) are off until configured.
"""

import os

from dagster import Definitions, EnvVar, definitions

from promoteros_pipelines.defs.custom_reports.resource import CustomReportsResource
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.mailer import DEFAULT_FROM, MAIL_FROM_ENV, SMTP_URL_ENV, Mailer
from promoteros_pipelines.resources.notifier import SECRET_ENV, TARGETS_ENV, Notifier
from promoteros_pipelines.resources.platforms.resources import (
    BandsintownResource,
    ChartmetricResource,
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.sms import SmsGateway
from promoteros_pipelines.resources.ticketing_api import TicketingApi
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import DATABASE_URL_ENV


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


@definitions
def resources() -> Definitions:
    warehouse = PostgresWarehouse(database_url=EnvVar(DATABASE_URL_ENV))
    return Definitions(
        resources={
            "warehouse": warehouse,
            "spotify": SpotifyResource.from_env(),
            "youtube": YouTubeResource.from_env(),
            "tiktok": TikTokResource.from_env(),
            "instagram": InstagramResource.from_env(),
            "bandsintown": BandsintownResource.from_env(),
            "chartmetric": ChartmetricResource.from_env(),
            "influxdb": _influxdb(),
            "mailer": Mailer(
                smtp_url=EnvVar(SMTP_URL_ENV) if os.environ.get(SMTP_URL_ENV) else None,
                mail_from=os.environ.get(MAIL_FROM_ENV) or DEFAULT_FROM,
            ),
            "custom_reports": CustomReportsResource.from_env(),
            "notifier": Notifier(
                warehouse=warehouse,
                targets=os.environ.get(TARGETS_ENV, ""),
                signing_secret=EnvVar(SECRET_ENV) if os.environ.get(SECRET_ENV) else "",
            ),
            "sms": SmsGateway.from_env(),
            "ticketing_api": TicketingApi.from_env(),
        }
    )
