"""Shared request plumbing: state, per-platform error bodies, faults and auth before a handler.

Every platform response carries a ``Date`` header with the *simulated* time at which its values
were computed (whole seconds), so a client that stamps observations with the server's ``Date``
gets exactly ``metrics_at(world, that_time)``; against a real API the header is simply now.
A platform in one of the world's outages (``World.outages``) answers 503 to every data request,
as a real one would; artists in their ``missing_days`` are answered as unknown (see
``accounts.platform_snapshot``).
"""

import asyncio
import base64
import datetime as dt
import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from promoteros_pipelines.simulator.control import FaultBook, SimClock, TokenStore
from promoteros_pipelines.simulator.observed import platform_down
from promoteros_pipelines.simulator.world import World


@dataclass
class SimState:
    world: World
    clock: SimClock
    faults: FaultBook
    tokens: TokenStore
    # platform -> expected secret(s); None accepts any non-empty credential.
    credentials: dict[str, tuple[str, ...]] | None = None
    # world venue_id -> the promoter's venue (slug, venue, capacity) the ticketing system
    # reports it as (``POST /_control/ticketing/venues``); None: the world's own venues
    ticketing_venues: Any = None

    def now(self) -> dt.datetime:
        return self.clock.now().replace(microsecond=0)

    def accepts(self, platform: str, *given: str | None) -> bool:
        if not all(given):
            return False
        if self.credentials is None or platform not in self.credentials:
            return True
        return tuple(given) == tuple(self.credentials[platform])


def state_of(request: Request) -> SimState:
    return request.app.state.sim


def error_response(
    platform: str,
    status: int,
    message: str,
    *,
    code: str | int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error body in the shape the named platform documents."""
    log_id = secrets.token_hex(10)
    if platform == "spotify":
        body: dict | list = {"error": {"status": status, "message": message}}
    elif platform == "youtube":
        reason = code or "backendError"
        body = {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
            }
        }
    elif platform == "tiktok":
        body = {
            "data": {},
            "error": {"code": code or "internal_error", "message": message, "log_id": log_id},
        }
    elif platform == "instagram":
        body = {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code or 2,
                "fbtrace_id": log_id,
            }
        }
    else:
        body = {"errorMessage": message}
    return JSONResponse(body, status_code=status, headers=headers)


_FAULT_CODES = {
    503: {"youtube": "backendError", "tiktok": "internal_error", "instagram": 2},
    500: {"youtube": "backendError", "tiktok": "internal_error", "instagram": 1},
    429: {"youtube": "rateLimitExceeded", "tiktok": "rate_limit_exceeded", "instagram": 4},
}


def _retry_after(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


async def _apply_fault(state: SimState, platform: str) -> Response | None:
    fault = state.faults.take(platform)
    if fault is None:
        return None
    if fault.mode == "slow":
        await asyncio.sleep(fault.delay)
        return None
    if fault.mode == "rate_limit":
        return error_response(
            platform,
            429,
            "API rate limit exceeded",
            code=_FAULT_CODES[429].get(platform),
            headers={"Retry-After": _retry_after(fault.retry_after)},
        )
    status = 503 if fault.mode == "down" else 500
    return error_response(
        platform, status, "Service unavailable (simulated)", code=_FAULT_CODES[status].get(platform)
    )


def _outage(platform: str) -> Response:
    """A platform outage of the world (``World.outages``): 503, as the ``down`` fault."""
    return error_response(
        platform,
        503,
        "Service unavailable (platform outage in the simulated world)",
        code=_FAULT_CODES[503].get(platform),
    )


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded body, parsed without python-multipart (token endpoints only need this)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


Handler = Callable[[Request, SimState, dt.datetime], Awaitable[Response]]


def platform_endpoint(platform: str, auth: Callable[[Request, SimState], Response | None] | None):
    """Wrap a handler: injected faults first, then auth, then the handler with simulated now."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            state = state_of(request)
            response = await _apply_fault(state, platform)
            if response is None and platform_down(state.world, platform, state.now()):
                response = _outage(platform)
            if response is None and auth is not None:
                response = auth(request, state)
            now = state.now()
            if response is None:
                response = await handler(request, state, now)
            response.headers["date"] = format_datetime(now, usegmt=True)
            return response

        return endpoint

    return decorate


def require_bearer(platform: str, message: str, code: str | None = None):
    def check(request: Request, state: SimState) -> Response | None:
        if state.tokens.valid(platform, bearer_token(request)):
            return None
        return error_response(platform, 401, message, code=code)

    return check


def rfc3339(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
