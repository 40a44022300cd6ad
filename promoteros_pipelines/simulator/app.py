"""The simulator as one Starlette ASGI app, with a control API for tests and demos.

Each platform lives under its own prefix so that a client's base URL swaps for the real one with
no code change:

=============  ==================================  =====================================
platform       simulator base URL                  real base URL
=============  ==================================  =====================================
Spotify        ``http://HOST:PORT/spotify``        ``https://api.spotify.com``
Spotify token  ``http://HOST:PORT/spotify/api/token``  ``https://accounts.spotify.com/api/token``
YouTube        ``http://HOST:PORT/youtube``        ``https://www.googleapis.com/youtube``
TikTok         ``http://HOST:PORT/tiktok``         ``https://open.tiktokapis.com``
Instagram      ``http://HOST:PORT/instagram``      ``https://graph.facebook.com``
Bandsintown    ``http://HOST:PORT/bandsintown``    ``https://rest.bandsintown.com``
Chartmetric    ``http://HOST:PORT/chartmetric``    ``https://api.chartmetric.com``
Ticketing      ``http://HOST:PORT/ticketing``      ``https://www.eventbriteapi.com``
=============  ==================================  =====================================

Control API (not part of any real platform):

* ``POST /_control/faults`` ``{"platform": "tiktok", "mode": "down|rate_limit|slow|
  expire_tokens|flaky", "count": N, "retry_after": s, "delay": s}``: the next ``count``
  data requests to that platform (all of them when ``count`` is omitted) answer 503 (down),
  429 with ``Retry-After`` (rate_limit), after ``delay`` seconds (slow) or 500 every other
  request (flaky); ``expire_tokens`` invalidates every token issued so far (and Instagram's
  static token until the faults are cleared). Token endpoints are never faulted.
* ``DELETE /_control/faults[?platform=]`` clears faults; ``GET /_control/faults`` lists them.
* ``POST /_control/clock`` ``{"advance_seconds": s}`` or ``{"now": ISO-8601}``; ``GET`` reads it.
* ``GET /_control/world`` summarises the world (seed, size, playlist ids).
* ``POST /_control/ticketing/webhooks`` posts signed ``ticketing.sales`` webhooks (late,
  duplicated, shuffled on demand) to a URL; see ``api_ticketing``.
"""

import datetime as dt

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoteros_pipelines.simulator import (
    api_audience,
    api_social,
    api_spotify_youtube,
    api_ticketing,
)
from promoteros_pipelines.simulator.control import (
    FAULT_MODES,
    Fault,
    FaultBook,
    SimClock,
    TokenStore,
)
from promoteros_pipelines.simulator.plumbing import SimState, state_of
from promoteros_pipelines.simulator.world import PLATFORMS, World

ALL_PLATFORMS = (*PLATFORMS, "bandsintown", "chartmetric")


async def set_fault(request: Request) -> Response:
    try:
        body = await request.json()
        platform, mode = body["platform"], body["mode"]
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "body must be JSON with platform and mode"}, 400)
    if platform not in ALL_PLATFORMS or mode not in FAULT_MODES:
        return JSONResponse(
            {"error": f"platform in {ALL_PLATFORMS}, mode in {FAULT_MODES}"}, status_code=400
        )
    fault = Fault(
        mode=mode,
        remaining=body.get("count"),
        retry_after=float(body.get("retry_after", 1.0)),
        delay=float(body.get("delay", 2.0)),
    )
    state_of(request).faults.set(platform, fault)
    return JSONResponse({"faults": state_of(request).faults.snapshot()})


async def clear_faults(request: Request) -> Response:
    state_of(request).faults.clear(request.query_params.get("platform"))
    return JSONResponse({"faults": state_of(request).faults.snapshot()})


async def list_faults(request: Request) -> Response:
    return JSONResponse({"faults": state_of(request).faults.snapshot()})


async def clock_control(request: Request) -> Response:
    state = state_of(request)
    if request.method == "POST":
        try:
            body = await request.json()
            if "now" in body:
                state.clock.set(dt.datetime.fromisoformat(body["now"]))
            else:
                state.clock.advance(float(body["advance_seconds"]))
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'use {"advance_seconds": s} or {"now": iso}'}, 400)
    return JSONResponse({"now": state.now().isoformat(), "speed": state.clock.speed})


async def world_summary(request: Request) -> Response:
    world = state_of(request).world
    return JSONResponse(
        {
            "seed": world.seed,
            "n_artists": world.n_artists,
            "start": world.start.isoformat(),
            "present": world.present.isoformat(),
            "episodes": world.episodes.height,
            "spotify_playlists": api_spotify_youtube.PLAYLISTS,
        }
    )


def create_app(
    world: World,
    clock: SimClock | None = None,
    *,
    credentials: dict[str, tuple[str, ...]] | None = None,
    token_ttl_seconds: int = 3600,
) -> Starlette:
    """The simulator app. ``clock`` defaults to a clock standing at ``world.present``.

    ``credentials`` maps a platform to the secrets it accepts (Spotify/TikTok: id and secret;
    YouTube: key; Instagram: access token; Bandsintown: app id; Chartmetric: refresh token);
    None accepts any non-empty one.
    """
    clock = clock or SimClock(world.present)
    faults = FaultBook()
    routes = [
        *api_spotify_youtube.ROUTES,
        *api_social.ROUTES,
        *api_ticketing.ROUTES,
        *api_audience.ROUTES,
        Route("/_control/faults", set_fault, methods=["POST"]),
        Route("/_control/faults", clear_faults, methods=["DELETE"]),
        Route("/_control/faults", list_faults, methods=["GET"]),
        Route("/_control/clock", clock_control, methods=["GET", "POST"]),
        Route("/_control/world", world_summary),
    ]
    app = Starlette(routes=routes)
    app.state.sim = SimState(
        world=world,
        clock=clock,
        faults=faults,
        tokens=TokenStore(clock, faults, token_ttl_seconds),
        credentials=credentials,
    )
    return app
