"""``CustomReportsResource``: where reports are stored and how their links are signed."""

import os

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from promoteros_pipelines.report_store.links import (
    DEFAULT_PUBLIC_URL,
    LINK_SECRET_ENV,
    PUBLIC_URL_ENV,
    LinkSigner,
)
from promoteros_pipelines.report_store.store import ReportStore
from promoteros_pipelines.report_store.store_config import StoreSettings, open_store


class CustomReportsResource(ConfigurableResource):
    """Report store, public base URL and link secret for custom reports.

    The secret has no default: a run that needs it fails with a ConfigurationError saying
    how to set ``PROMOTEROS_LINK_SECRET``, rather than signing with a guessable key. S3
    credentials are not fields here: boto3 reads them from its own environment variables,
    so they never reach the run config or the UI.
    """

    store_dir: str | None = Field(
        default=None, description="Local store; default $PROMOTEROS_HOME/report-store."
    )
    store_url: str | None = Field(
        default=None,
        description="s3://bucket/prefix to keep reports in an object store instead "
        "(PROMOTEROS_REPORT_STORE_URL).",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="S3-compatible server, e.g. MinIO; unset for AWS (PROMOTEROS_S3_ENDPOINT_URL).",
    )
    s3_region: str | None = Field(
        default=None, description="S3 signing region (PROMOTEROS_S3_REGION)."
    )
    public_url: str = Field(
        default=DEFAULT_PUBLIC_URL,
        description="Base URL of the ingress serving /reports/{token} (PROMOTEROS_PUBLIC_URL).",
    )
    link_secret: str | None = Field(
        default=None, description="HMAC secret for download links (PROMOTEROS_LINK_SECRET)."
    )

    @classmethod
    def from_env(cls) -> "CustomReportsResource":
        """Reads the environment; the secret stays an EnvVar so the UI never shows it."""
        store = StoreSettings.from_env()
        return cls(
            store_dir=store.directory,
            store_url=store.url,
            s3_endpoint_url=store.endpoint_url,
            s3_region=store.region,
            public_url=os.environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL,
            link_secret=EnvVar(LINK_SECRET_ENV) if os.environ.get(LINK_SECRET_ENV) else None,
        )

    def store(self) -> ReportStore:
        """The configured store, built by the same ``open_store`` the ingress uses."""
        return open_store(
            StoreSettings(
                url=self.store_url,
                directory=self.store_dir,
                endpoint_url=self.s3_endpoint_url,
                region=self.s3_region,
            )
        )

    def signer(self) -> LinkSigner:
        return LinkSigner(self.link_secret)
