"""TikTok Research API, Instagram Graph API business discovery and Bandsintown API v3.

TikTok (base ``/tiktok`` standing for ``https://open.tiktokapis.com``):
``POST /v2/oauth/token/`` (client credentials, form ``client_key``/``client_secret``),
``POST /v2/research/user/info/?fields=...`` with ``{"username": ...}`` (unknown users are a
400 ``invalid_params``), ``POST /v2/research/video/query/?fields=...`` returning recent music
videos of trending creators, paginated with ``cursor``/``has_more``.

Instagram (base ``/instagram`` standing for ``https://graph.facebook.com``):
``GET /v21.0/{ig-user-id}?fields=business_discovery.username(NAME){followers_count,media_count}``
``&access_token=``; unknown usernames are a 400 with code 110, an expired token a 400 with
code 190 (as the Graph API does; the simulator's rate limit is a 429 with ``Retry-After``).

Bandsintown (base ``/bandsintown`` standing for ``https://rest.bandsintown.com``):
``GET /artists/{name}?app_id=`` and ``GET /artists/{name}/events?app_id=&date=upcoming|past|all|
YYYY-MM-DD,YYYY-MM-DD``.
"""

import datetime as dt
import re
from urllib.parse import unquote

import polars as pl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoteros_pipelines.simulator.accounts import platform_snapshot, snapshot_row
from promoteros_pipelines.simulator.memo import first_rows_by, kept
from promoteros_pipelines.simulator.plumbing import (
    SimState,
    error_response,
    form_fields,
    platform_endpoint,
    require_bearer,
)
from promoteros_pipelines.simulator.touring import COUNTRY_NAMES
from promoteros_pipelines.simulator.world import trending_at

TIKTOK_USER_FIELDS = (
    "display_name",
    "bio_description",
    "avatar_url",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
)
VIDEO_QUERY_SIZE = 100
_BUSINESS = re.compile(r"business_discovery\.username\(([^)]+)\)\{([^}]*)\}")


async def tiktok_token(request: Request) -> Response:
    state: SimState = request.app.state.sim
    form = await form_fields(request)
    if form.get("grant_type") != "client_credentials":
        return JSONResponse(
            {"error": "invalid_request", "error_description": "grant_type", "log_id": "sim"},
            status_code=400,
        )
    if not state.accepts("tiktok", form.get("client_key"), form.get("client_secret")):
        return JSONResponse(
            {
                "error": "invalid_client",
                "error_description": "Client key or secret is incorrect.",
                "log_id": "sim",
            },
            status_code=401,
        )
    return JSONResponse(
        {
            "access_token": state.tokens.issue("tiktok", "clt."),
            "expires_in": state.tokens.ttl_seconds,
            "token_type": "Bearer",
        }
    )


_tiktok_auth = require_bearer(
    "tiktok", "The access token is invalid or not found in the request.", "access_token_invalid"
)


def _ok(log_id: str = "sim") -> dict:
    return {"code": "ok", "message": "", "log_id": log_id}


@platform_endpoint("tiktok", _tiktok_auth)
async def tiktok_user_info(request: Request, state: SimState, now) -> Response:
    fields = [f for f in request.query_params.get("fields", "").split(",") if f]
    unknown = [f for f in fields if f not in TIKTOK_USER_FIELDS]
    if not fields or unknown:
        return error_response(
            "tiktok", 400, f"Invalid fields: {unknown or 'none'}", code="invalid_params"
        )
    try:
        username = (await request.json())["username"]
    except (ValueError, KeyError, TypeError):
        return error_response("tiktok", 400, "username is required", code="invalid_params")
    row = snapshot_row(state.world, now, "tiktok", username)
    if row is None:
        return error_response(
            "tiktok", 400, f"User {username} does not exist.", code="invalid_params"
        )
    values = {
        "display_name": row["name"],
        "bio_description": "",
        "avatar_url": "",
        "is_verified": row["followers"] > 1_000_000,
        "follower_count": int(row["followers"]),
        "following_count": 100 + row["artist_id"] % 400,
        "likes_count": int(row["likes"]),
        "video_count": int(row["posts"]),
    }
    return JSONResponse({"data": {f: values[f] for f in fields}, "error": _ok()})


@platform_endpoint("tiktok", _tiktok_auth)
async def tiktok_video_query(request: Request, state: SimState, now) -> Response:
    try:
        body = await request.json()
        max_count = min(max(int(body.get("max_count", 20)), 1), 100)
        cursor = int(body.get("cursor", 0))
    except (ValueError, TypeError, AttributeError):
        return error_response("tiktok", 400, "Invalid query body", code="invalid_params")
    snap = platform_snapshot(state.world, now, "tiktok")
    ranked = (
        trending_at(state.world, now, "tiktok")
        .head(VIDEO_QUERY_SIZE)
        .join(
            snap.select("artist_id", "external_id", "likes"), on="artist_id", maintain_order="left"
        )
        .to_dicts()
    )
    create_time = int(now.timestamp()) - 3600
    videos = [
        {
            "id": 7_300_000_000_000_000_000 + row["artist_id"],
            "username": row["external_id"],
            "create_time": create_time,
            "region_code": "GB",
            "view_count": int(row["likes"]) // 50 * 7,
            "like_count": int(row["likes"]) // 50,
            "music_id": 6_900_000_000_000_000_000 + row["artist_id"],
            "hashtag_names": ["music", "newmusic"],
        }
        for row in ranked[cursor : cursor + max_count]
    ]
    return JSONResponse(
        {
            "data": {
                "videos": videos,
                "cursor": cursor + len(videos),
                "has_more": cursor + len(videos) < len(ranked),
                "search_id": f"sim-{state.world.seed}-{int(now.timestamp())}",
            },
            "error": _ok(),
        }
    )


def _instagram_auth(request: Request, state: SimState) -> Response | None:
    token = request.query_params.get("access_token")
    if not token:
        return error_response(
            "instagram",
            400,
            "An active access token must be used to query information about the current user.",
            code=2500,
        )
    if state.faults.static_credentials_expired("instagram") or not state.accepts(
        "instagram", token
    ):
        return error_response(
            "instagram", 400, "Error validating access token: Session has expired.", code=190
        )
    return None


@platform_endpoint("instagram", _instagram_auth)
async def instagram_business_discovery(request: Request, state: SimState, now) -> Response:
    ig_user_id = request.path_params["ig_user_id"]
    match = _BUSINESS.search(unquote(request.query_params.get("fields", "")))
    if match is None:
        return error_response("instagram", 400, "(#100) Missing business_discovery field", code=100)
    username, wanted = match.group(1), [f for f in match.group(2).split(",") if f]
    row = snapshot_row(state.world, now, "instagram", username)
    if row is None:
        return error_response("instagram", 400, "Invalid user id", code=110)
    values = {
        "followers_count": int(row["followers"]),
        "media_count": int(row["posts"]),
        "username": username,
        "name": row["name"],
        "id": row["secondary_id"],
    }
    discovered = {f: values[f] for f in wanted if f in values} | {"id": row["secondary_id"]}
    return JSONResponse({"business_discovery": discovered, "id": ig_user_id})


def _bandsintown_auth(request: Request, state: SimState) -> Response | None:
    if state.accepts("bandsintown", request.query_params.get("app_id")):
        return None
    return error_response("bandsintown", 403, "[Forbidden] Invalid app_id")


def _bandsintown_artist(state: SimState, name: str) -> dict | None:
    """The first artist of that name (one artist a request)."""
    index = kept(
        state.world,
        ("bandsintown_artists",),
        lambda: first_rows_by(state.world.artists.select("artist_id", "name"), "name"),
    )
    return index.get(name)


def _tour_dates_of(state: SimState, artist_id: int) -> pl.DataFrame:
    """An artist's tour dates with their venues, by start; grouped once, like the names."""

    def grouped() -> dict:
        venues = state.world.venues.select(
            "venue_id", "name", "city", "country", "latitude", "longitude"
        )
        dated = state.world.tour_dates.join(venues, on="venue_id").sort("starts_at")
        parts = dated.partition_by("artist_id", as_dict=True)
        return {key[0]: part for key, part in parts.items()} | {None: dated.clear()}

    index = kept(state.world, ("bandsintown_tour_dates",), grouped)
    return index.get(artist_id, index[None])


@platform_endpoint("bandsintown", _bandsintown_auth)
async def bandsintown_artist(request: Request, state: SimState, now) -> Response:
    artist = _bandsintown_artist(state, unquote(request.path_params["name"]))
    if artist is None:
        return error_response("bandsintown", 404, "[NotFound] The artist was not found")
    upcoming = _tour_dates_of(state, artist["artist_id"]).filter(pl.col("starts_at") >= now).height
    return JSONResponse(
        {
            "id": str(artist["artist_id"]),
            "name": artist["name"],
            "url": f"https://www.bandsintown.com/a/{artist['artist_id']}",
            "image_url": "",
            "thumb_url": "",
            "facebook_page_url": "",
            "mbid": "",
            "tracker_count": int(state.world.params["capacity"][artist["artist_id"] - 1, 0] // 40),
            "upcoming_event_count": upcoming,
        }
    )


def _date_filter(value: str, now: dt.datetime) -> pl.Expr | None:
    if value in ("", "upcoming"):
        return pl.col("starts_at") >= now
    if value == "past":
        return pl.col("starts_at") < now
    if value == "all":
        return pl.lit(True)
    try:
        first, last = (dt.date.fromisoformat(v) for v in value.split(","))
    except ValueError:
        return None
    return pl.col("starts_at").dt.date().is_between(first, last)


@platform_endpoint("bandsintown", _bandsintown_auth)
async def bandsintown_events(request: Request, state: SimState, now) -> Response:
    artist = _bandsintown_artist(state, unquote(request.path_params["name"]))
    if artist is None:
        return error_response("bandsintown", 404, "[NotFound] The artist was not found")
    when = _date_filter(request.query_params.get("date", "upcoming"), now)
    if when is None:
        return error_response("bandsintown", 400, "[BadRequest] Invalid date parameter")
    events = _tour_dates_of(state, artist["artist_id"]).filter(when).to_dicts()
    body = [
        {
            "id": str(e["event_id"]),
            "artist_id": str(artist["artist_id"]),
            "url": f"https://www.bandsintown.com/e/{e['event_id']}",
            "on_sale_datetime": e["on_sale_at"].strftime("%Y-%m-%dT%H:%M:%S"),
            "datetime": e["starts_at"].strftime("%Y-%m-%dT%H:%M:%S"),
            "description": "",
            "title": "",
            "venue": {
                "name": e["name"],
                "latitude": str(e["latitude"]),
                "longitude": str(e["longitude"]),
                "city": e["city"],
                "region": "",
                "country": COUNTRY_NAMES.get(e["country"], e["country"]),
            },
            "offers": [
                {
                    "type": "Tickets",
                    "url": f"https://www.bandsintown.com/t/{e['event_id']}",
                    "status": "available",
                }
            ],
            "lineup": [artist["name"]],
        }
        for e in events
    ]
    return JSONResponse(body)


ROUTES = [
    Route("/tiktok/v2/oauth/token/", tiktok_token, methods=["POST"]),
    Route("/tiktok/v2/research/user/info/", tiktok_user_info, methods=["POST"]),
    Route("/tiktok/v2/research/video/query/", tiktok_video_query, methods=["POST"]),
    Route("/instagram/{version}/{ig_user_id}", instagram_business_discovery),
    Route("/bandsintown/artists/{name}/events", bandsintown_events),
    Route("/bandsintown/artists/{name}", bandsintown_artist),
]
