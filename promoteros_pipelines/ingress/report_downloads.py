"""``GET /reports/{token}``: a custom report behind a signed link.

The token is checked before the store is touched: a forged or altered link is ``403``, an
expired one (or one whose file cleanup already deleted) ``410``. A local store's file is
served from here; an object store's is handed off with a ``307`` to a presigned GET URL that
lives a few minutes at most (never past the link's own expiry), so the bytes do not pass
through the ingress and the emailed link keeps its 24-hour contract. Without
``PROMOTEROS_LINK_SECRET`` (or with a store setting that cannot work) the route answers ``503``
and serves nothing; the webhook routes keep working. No Dagster import: this runs in the
ingress.
"""

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from promoteros_pipelines.report_store.links import (
    LINK_SECRET_ENV,
    LinkRefused,
    LinkSigner,
    SignedObject,
    token_fingerprint,
)
from promoteros_pipelines.report_store.store import (
    InvalidKey,
    LocalReportStore,
    PresigningStore,
    ReportStore,
    ReportStoreError,
    check_key,
    file_name,
    media_type_for,
)
from promoteros_pipelines.report_store.store_config import report_store_from_env
from promoteros_pipelines.settings import ConfigurationError

log = logging.getLogger("promoteros_pipelines.ingress.reports")
# long enough to start a slow download, short enough that a leaked URL soon stops working
PRESIGNED_LIFETIME = timedelta(minutes=10)
_NO_STORE = {"cache-control": "private, no-store", "x-content-type-options": "nosniff"}


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": detail},
        status_code=status,
        headers={"cache-control": "no-store"},
    )


@dataclass
class ReportDownloads:
    """The download endpoint with its signer and store (None: not configured, and why)."""

    signer: LinkSigner | None
    store: ReportStore | None
    store_problem: str = ""

    @classmethod
    def from_env(cls) -> "ReportDownloads":
        try:
            signer: LinkSigner | None = LinkSigner.from_env()
        except ConfigurationError as error:
            log.warning("Report downloads disabled: %s", error)
            signer = None
        try:
            store: ReportStore | None = report_store_from_env()
            problem = ""
        except ConfigurationError as error:
            log.error("Report downloads disabled: %s", error)
            store, problem = None, str(error)
        return cls(signer=signer, store=store, store_problem=problem)

    async def download(self, request: Request) -> Response:
        token = request.path_params["token"]
        if self.signer is None:
            return _error(
                503, "downloads_disabled", f"{LINK_SECRET_ENV} is not configured on this server"
            )
        if self.store is None:
            return _error(503, "downloads_disabled", self.store_problem or "no report store")
        try:
            granted = self.signer.verify(token)
            check_key(granted.key)
        except LinkRefused as refused:
            log.info("Refused report link %s: %s", token_fingerprint(token), refused)
            error = "link_expired" if refused.status == 410 else "link_invalid"
            return _error(refused.status, error, str(refused))
        except InvalidKey:
            return _error(403, "link_invalid", "the link does not name a report")
        store = self.store
        if isinstance(store, LocalReportStore):
            return self._file(store, granted.key)
        if not isinstance(store, PresigningStore):
            return _error(503, "downloads_disabled", "this report store cannot serve downloads")
        try:
            return await self._redirect(store, granted)
        except ReportStoreError as error:
            log.warning("Report link %s not served: %s", token_fingerprint(token), error)
            return _error(503, "store_unavailable", "the report store did not answer; try again")

    def _file(self, store: LocalReportStore, key: str) -> Response:
        try:
            path = store.path_for(key)
        except InvalidKey:  # resolves outside the root, e.g. through a symlink
            return _error(403, "link_invalid", "the link does not name a report")
        if not path.is_file():
            return _error(410, "report_deleted", "the report has expired and was deleted")
        return FileResponse(
            path, media_type=media_type_for(key), filename=file_name(key), headers=_NO_STORE
        )

    async def _redirect(self, store: PresigningStore, granted: SignedObject) -> Response:
        """A redirect to a presigned URL that expires with the link, if not sooner."""
        remaining = (granted.expires_at - datetime.now(UTC)).total_seconds()
        lifetime = max(1, math.floor(min(remaining, PRESIGNED_LIFETIME.total_seconds())))
        # boto3 blocks: keep the event loop free for the webhook routes
        url = await run_in_threadpool(store.presigned_get, granted.key, lifetime)
        if url is None:
            return _error(410, "report_deleted", "the report has expired and was deleted")
        return RedirectResponse(
            url, status_code=307, headers={**_NO_STORE, "referrer-policy": "no-referrer"}
        )
