"""The webhook ingress: verify, validate, commit, then answer. No Dagster import, no state.

Order of checks for ``POST /webhooks/{source}/{event_type}``: known route (404), body size
(413, from Content-Length and while streaming), signature (401; nothing about the body is
read before it), UTF-8 and JSON (400), schema (422), durable insert (202, or 200 for a
webhook-id this source already sent; 503 when the database does not confirm it). A
``booking.response`` must name an existing booking opportunity (422 naming the id otherwise,
checked after the signature so nobody unsigned can probe ids). Nothing is
stored unless every check passed. Rejections are logged with source, type, reason and
webhook-id only: never a secret, never the body.
"""

import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from promoteros_pipelines.events import EVENT_TYPES, BookingResponse
from promoteros_pipelines.ingress.approval_page import ApprovalPage
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.inbox import Inbox, InboxRejected, InboxUnavailable, StoredEvent
from promoteros_pipelines.ingress.metrics import IngressMetrics
from promoteros_pipelines.ingress.openapi import openapi_document
from promoteros_pipelines.ingress.report_downloads import ReportDownloads
from promoteros_pipelines.ingress.signatures import NotUtf8, SignatureRejected, verify

log = logging.getLogger("promoteros_pipelines.ingress")
RETRY_AFTER_SECONDS = 2
UNAVAILABLE_MAYBE_STORED = (
    "the database did not confirm the event: it may or may not have been stored. Resend it "
    "with the same webhook-id; that is safe: a stored event is answered 200 with its id and "
    "is never stored twice"
)
UNAVAILABLE_NOT_STORED = (
    "the database is unreachable and the event was not stored; resend it with the same "
    "webhook-id (a resend is always safe: an event is never stored twice)"
)


class Rejection(Exception):
    """A request we refuse, with its HTTP status, error code and a detail for the sender."""

    def __init__(self, status: int, error: str, detail: Any, headers: dict[str, str] | None = None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers


def error_response(
    status: int, error: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def _too_large(limit: int) -> Rejection:
    detail = f"the body exceeds {limit} bytes; send fewer observations per event"
    return Rejection(413, "body_too_large", detail, {"connection": "close"})


def _headers(scope: Scope) -> dict[str, str]:
    """Only the headers the ingress reads (ASGI servers give names in lower case)."""
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in scope["headers"]
        if name in _READ_HEADERS
    }


_READ_HEADERS = frozenset(
    {b"content-length", b"webhook-id", b"webhook-timestamp", b"webhook-signature"}
)


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    """The body, refusing it with 413 as soon as it is known to exceed ``limit``."""
    declared = headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Rejection(400, "invalid_request", "Content-Length is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Rejection(400, "incomplete_body", "the client closed before the body ended")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, headers: dict[str, str] | None) -> None:
    raw = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    raw += [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class _RawEndpoint:
    """The webhook handler as a raw ASGI endpoint for Starlette's router (no Request object)."""

    def __init__(self, ingress: "Ingress") -> None:
        self.ingress = ingress

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.ingress.receive(scope, receive, send)


class IngressApp:
    """The ASGI app: webhook POSTs go straight to the handler, everything else (health,
    metrics, OpenAPI, 404/405 answers, lifespan) through Starlette.

    The webhook path is the hot one, and Starlette's middleware and router cost about a tenth
    of its CPU; the same route is also declared in Starlette so the two cannot disagree.
    """

    def __init__(self, ingress: "Ingress", starlette: Starlette) -> None:
        self.ingress = ingress
        self.starlette = starlette
        self.state = starlette.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            parts = scope["path"].split("/")
            if len(parts) == 4 and parts[1] == "webhooks" and parts[2] and parts[3]:
                scope["path_params"] = {"source": parts[2], "event_type": parts[3]}
                await self.ingress.receive(scope, receive, send)
                return
        await self.starlette(scope, receive, send)


def _field_errors(error: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as ``{"field": "observations.3.metric", "message": ...}``, no inputs."""
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]) or "(body)",
            "message": item["msg"],
            "type": item["type"],
        }
        for item in error.errors(include_input=False, include_url=False)
    ]


class Ingress:
    """The request handlers, holding the settings, the inbox writer and the metrics."""

    def __init__(self, settings: IngressSettings) -> None:
        self.settings = settings
        self.metrics = IngressMetrics()
        self.inbox = Inbox(
            settings.database_url,
            max_batch=settings.max_batch,
            writers=settings.writers,
            store_timeout=settings.store_timeout,
            connect_timeout=settings.connect_timeout,
        )
        self._openapi = json.dumps(openapi_document(settings.sources)).encode()

    async def receive(self, scope: Scope, receive: Receive, send: Send) -> None:
        """POST /webhooks/{source}/{event_type}, as raw ASGI: this is the hot path, and
        Starlette's Request/Response layers cost more than the signature and schema checks."""
        started = time.perf_counter()
        source = scope["path_params"]["source"]
        event_type = scope["path_params"]["event_type"]
        headers = _headers(scope)
        try:
            stored = await self._receive(receive, headers, source, event_type)
        except Rejection as rejection:
            self.metrics.observe_rejected(rejection.error, time.perf_counter() - started)
            log.warning(
                "Rejected webhook source=%s event_type=%s webhook_id=%r: %s (%d)",
                source[:40],
                event_type[:40],
                headers.get("webhook-id", "")[:80],
                rejection.error,
                rejection.status,
            )
            body = json.dumps({"error": rejection.error, "detail": rejection.detail}).encode()
            await _send(send, rejection.status, body, rejection.headers)
            return
        status = "accepted" if stored.created else "duplicate"
        body = b'{"event_id":%d,"status":"%s"}' % (stored.event_id, status.encode())
        await _send(send, 202 if stored.created else 200, body, None)
        self.metrics.observe_stored(
            source, event_type, stored.created, time.perf_counter() - started
        )

    async def _receive(
        self, receive: Receive, headers: dict[str, str], source: str, event_type: str
    ) -> StoredEvent:
        if source not in self.settings.sources:
            raise Rejection(404, "unknown_source", f"no source '{source[:40]}'")
        model = EVENT_TYPES.get(event_type)
        if model is None:
            raise Rejection(
                404,
                "unknown_event_type",
                f"no event type '{event_type[:40]}'; known: {', '.join(EVENT_TYPES)}",
            )
        body = await _read_body(receive, headers, self.settings.max_body)
        verifiers = self.settings.verifiers.get(source, ())
        try:
            webhook_id = verify(verifiers, body, headers, source)
        except SignatureRejected as rejected:
            raise Rejection(401, rejected.reason, rejected.detail) from None
        except NotUtf8:
            raise Rejection(400, "invalid_json", "the body is not UTF-8 text") from None
        try:
            event = model.model_validate_json(body)
        except ValidationError as error:
            errors = _field_errors(error)
            if any(item["type"] == "json_invalid" for item in errors):
                raise Rejection(400, "invalid_json", "the body is not valid JSON") from None
            raise Rejection(422, "schema_violation", errors) from None
        if isinstance(event, BookingResponse):
            await self._known_opportunity(event.opportunity_id)
        try:
            return await self.inbox.store(
                source, event_type, webhook_id, event.model_dump_json(exclude_none=True)
            )
        except InboxRejected as error:
            raise Rejection(422, "schema_violation", f"payload cannot be stored: {error}") from None
        except InboxUnavailable as unavailable:
            raise Rejection(
                503,
                "unavailable",
                UNAVAILABLE_MAYBE_STORED if unavailable.maybe_stored else UNAVAILABLE_NOT_STORED,
                {"retry-after": str(RETRY_AFTER_SECONDS)},
            ) from None

    async def _known_opportunity(self, opportunity_id: int) -> None:
        """422 for an answer to an opportunity that does not exist (a typo or a stale id)."""
        try:
            known = await self.inbox.opportunity_exists(opportunity_id)
        except InboxUnavailable:
            retry = {"retry-after": str(RETRY_AFTER_SECONDS)}
            raise Rejection(503, "unavailable", UNAVAILABLE_NOT_STORED, retry) from None
        if not known:
            raise Rejection(
                422,
                "unknown_opportunity",
                [
                    {
                        "field": "opportunity_id",
                        "message": f"there is no booking opportunity {opportunity_id}",
                        "type": "unknown_opportunity",
                    }
                ],
            )

    async def healthz(self, request: Request) -> Response:
        try:
            await self.inbox.ping()
        except InboxUnavailable as error:
            return error_response(503, "database_unreachable", str(error))
        return JSONResponse({"status": "ok", "database": "reachable"})

    async def prometheus(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), media_type=self.metrics.content_type)

    async def openapi(self, request: Request) -> Response:
        return Response(self._openapi, media_type="application/json")

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """Starlette's own 404/405 (unrouted paths, wrong methods) as our JSON errors."""
        assert isinstance(exc, HTTPException)
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        self.metrics.observe_rejected(error, None)
        log.warning("Rejected %s %s: %s", request.method, request.url.path[:80], error)
        return error_response(exc.status_code, error, exc.detail, exc.headers)


def create_app(
    settings: IngressSettings | None = None,
    downloads: ReportDownloads | None = None,
    approvals: ApprovalPage | None = None,
) -> IngressApp:
    """The ASGI app; without ``settings`` (or ``downloads``, ``approvals``) they come from the
    environment."""
    ingress = Ingress(settings or IngressSettings.from_env())
    downloads = downloads or ReportDownloads.from_env()
    approvals = approvals or ApprovalPage.from_env(ingress.settings.database_url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await ingress.inbox.start()
        # everything imported so far lives forever: keep the collector from rescanning it,
        # which otherwise shows up as latency spikes under load
        gc.freeze()
        try:
            yield
        finally:
            await ingress.inbox.stop()

    app = Starlette(
        routes=[
            Route("/webhooks/{source}/{event_type}", _RawEndpoint(ingress), methods=["POST"]),
            Route("/healthz", ingress.healthz, methods=["GET"]),
            Route("/metrics", ingress.prometheus, methods=["GET"]),
            Route("/openapi.json", ingress.openapi, methods=["GET"]),
            Route("/reports/{token}", downloads.download, methods=["GET"]),
            Route("/approvals/{token}", approvals.show, methods=["GET"]),
            Route("/approvals/{token}", approvals.submit, methods=["POST"]),
        ],
        exception_handlers={HTTPException: ingress.http_error},
        lifespan=lifespan,
    )
    app.state.ingress = ingress
    return IngressApp(ingress, app)
