"""``CustomReportsResource``: where reports are stored and how their links are signed."""

import os

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from promoteros_pipelines.custom_reports.links import (
    DEFAULT_PUBLIC_URL,
    LINK_SECRET_ENV,
    PUBLIC_URL_ENV,
    LinkSigner,
)
from promoteros_pipelines.custom_reports.store import LocalReportStore


class CustomReportsResource(ConfigurableResource):
    """Store directory, public base URL and link secret for custom reports.

    The secret has no default: a run that needs it fails with a ConfigurationError saying
    how to set ``PROMOTEROS_LINK_SECRET``, rather than signing with a guessable key.
    """

    store_dir: str | None = Field(
        default=None, description="Local store; default $PROMOTEROS_HOME/report-store."
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
        return cls(
            store_dir=os.environ.get("PROMOTEROS_REPORT_STORE") or None,
            public_url=os.environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL,
            link_secret=EnvVar(LINK_SECRET_ENV) if os.environ.get(LINK_SECRET_ENV) else None,
        )

    def store(self) -> LocalReportStore:
        return LocalReportStore(self.store_dir)

    def signer(self) -> LinkSigner:
        return LinkSigner(self.link_secret)
