"""Which report store to use, read once from the environment by the job and the ingress alike.

``PROMOTEROS_REPORT_STORE_URL=s3://bucket/prefix`` selects ``S3ReportStore`` (with
``PROMOTEROS_S3_ENDPOINT_URL`` for MinIO or another S3-compatible server and
``PROMOTEROS_S3_REGION``); unset, reports stay in a local directory (``PROMOTEROS_REPORT_STORE``,
default ``$PROMOTEROS_HOME/report-store``). ``open_store`` is the only place a store is built,
so the code location that writes a report and the ingress that serves it cannot disagree on
where it is. boto3 is imported only when S3 is configured.
"""

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from promoteros_pipelines.report_store.store import (
    STORE_DIR_ENV,
    InvalidKey,
    LocalReportStore,
    ReportStore,
    check_key,
)
from promoteros_pipelines.settings import ConfigurationError

STORE_URL_ENV = "PROMOTEROS_REPORT_STORE_URL"
S3_ENDPOINT_ENV = "PROMOTEROS_S3_ENDPOINT_URL"
S3_REGION_ENV = "PROMOTEROS_S3_REGION"
# S3's bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class StoreSettings:
    """Where reports go: ``url`` (``s3://...``) wins; else the local ``directory``."""

    url: str | None = None
    directory: str | None = None
    endpoint_url: str | None = None
    region: str | None = None

    @classmethod
    def from_env(cls) -> "StoreSettings":
        return cls(
            url=os.environ.get(STORE_URL_ENV) or None,
            directory=os.environ.get(STORE_DIR_ENV) or None,
            endpoint_url=os.environ.get(S3_ENDPOINT_ENV) or None,
            region=os.environ.get(S3_REGION_ENV) or None,
        )


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` as (bucket, prefix), or a ConfigurationError saying why not."""
    parts = urlsplit(url.strip())
    if parts.username or parts.password:
        # never echo a URL someone put a secret into
        raise ConfigurationError(
            f"{STORE_URL_ENV} must not hold credentials; give them to boto3 through "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead."
        )
    example = "s3://promoteros-reports/custom (bucket, then an optional folder)"
    if parts.scheme != "s3":
        raise ConfigurationError(
            f"{STORE_URL_ENV}={url!r} is not an s3:// URL; use e.g. {example}, or unset it to "
            f"keep reports in a local directory ({STORE_DIR_ENV})."
        )
    try:
        has_port = parts.port is not None
    except ValueError:
        has_port = True
    if parts.query or parts.fragment or has_port:
        raise ConfigurationError(
            f"{STORE_URL_ENV}={url!r} has a port, query or fragment; use e.g. {example}. The "
            f"server's address goes in {S3_ENDPOINT_ENV}."
        )
    bucket = parts.hostname or ""
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise ConfigurationError(
            f"{STORE_URL_ENV}={url!r} does not name a valid bucket ({bucket!r}): 3-63 lowercase "
            f"letters, digits, dots or hyphens; use e.g. {example}."
        )
    prefix = parts.path.strip("/")
    if prefix:
        try:
            check_key(prefix)
        except InvalidKey:
            raise ConfigurationError(
                f"{STORE_URL_ENV}={url!r} has a folder ({prefix!r}) that report keys cannot live "
                f"under: lowercase letters, digits, '.', '_' and '-' segments; use e.g. {example}."
            ) from None
    return bucket, prefix


def _endpoint(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(
            f"{S3_ENDPOINT_ENV} must be an http(s):// URL of the S3-compatible server, e.g. "
            "http://127.0.0.1:9000 for MinIO."
        )
    return url.rstrip("/")


def open_store(settings: StoreSettings) -> ReportStore:
    """The store the settings name; a ConfigurationError for settings that cannot work."""
    if settings.url is None:
        return LocalReportStore(settings.directory)
    if settings.directory is not None:
        raise ConfigurationError(
            f"Both {STORE_URL_ENV} and {STORE_DIR_ENV} are set; reports go to one store. Unset "
            f"{STORE_DIR_ENV} to use the object store, or {STORE_URL_ENV} to use the directory."
        )
    bucket, prefix = parse_s3_url(settings.url)
    endpoint_url = _endpoint(settings.endpoint_url)
    from promoteros_pipelines.report_store.s3_store import S3ReportStore

    return S3ReportStore(bucket, prefix, endpoint_url=endpoint_url, region=settings.region)


def report_store_from_env() -> ReportStore:
    return open_store(StoreSettings.from_env())
