"""``GET /reports/{token}``: serve a custom report from the local store behind a signed link.

The token is checked before the store is touched: a forged or altered link is ``403``, an
expired one (or one whose file cleanup already deleted) ``410``. Without
``PROMOTEROS_LINK_SECRET`` the route answers ``503`` and serves nothing; the webhook routes
keep working. No Dagster import: this runs in the ingress.
"""

import logging
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from promoteros_pipelines.custom_reports.links import (
    LINK_SECRET_ENV,
    LinkRefused,
    LinkSigner,
    token_fingerprint,
)
from promoteros_pipelines.custom_reports.store import MEDIA_TYPES, InvalidKey, LocalReportStore
from promoteros_pipelines.settings import ConfigurationError

log = logging.getLogger("promoteros_pipelines.ingress.reports")


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": detail},
        status_code=status,
        headers={"cache-control": "no-store"},
    )


@dataclass
class ReportDownloads:
    """The download endpoint with its signer (None: not configured) and its store."""

    signer: LinkSigner | None
    store: LocalReportStore

    @classmethod
    def from_env(cls) -> "ReportDownloads":
        try:
            signer: LinkSigner | None = LinkSigner.from_env()
        except ConfigurationError as error:
            log.warning("Report downloads disabled: %s", error)
            signer = None
        return cls(signer=signer, store=LocalReportStore())

    async def download(self, request: Request) -> Response:
        token = request.path_params["token"]
        if self.signer is None:
            return _error(
                503, "downloads_disabled", f"{LINK_SECRET_ENV} is not configured on this server"
            )
        try:
            granted = self.signer.verify(token)
            path = self.store.path_for(granted.key)
        except LinkRefused as refused:
            log.info("Refused report link %s: %s", token_fingerprint(token), refused)
            error = "link_expired" if refused.status == 410 else "link_invalid"
            return _error(refused.status, error, str(refused))
        except InvalidKey:
            return _error(403, "link_invalid", "the link does not name a report")
        if not path.is_file():
            return _error(410, "report_deleted", "the report has expired and was deleted")
        extension = path.suffix.lstrip(".")
        return FileResponse(
            path,
            media_type=MEDIA_TYPES.get(extension, "application/octet-stream"),
            filename=path.name,
            headers={"cache-control": "private, no-store", "x-content-type-options": "nosniff"},
        )
