"""Spotify Web API and YouTube Data API v3 endpoints, in their documented response shapes.

Spotify (base ``/spotify`` standing for ``https://api.spotify.com``; the token endpoint
``/spotify/api/token`` stands for ``https://accounts.spotify.com/api/token``):
``POST /api/token``, ``GET /v1/artists?ids=`` (at most 50 ids, unknown ids are ``null``),
``GET /v1/playlists/{id}/tracks?offset=&limit=`` for the "viral" (50 tracks) and "trending"
(100 tracks) playlists in ``PLAYLISTS``.

YouTube (base ``/youtube`` standing for ``https://www.googleapis.com/youtube``):
``GET /v3/channels?part=statistics&id=a,b&key=`` (at most 50 ids, unknown ids omitted, counts as
strings, subscribers rounded to three significant figures) and
``GET /v3/videos?chart=mostPopular&videoCategoryId=10&maxResults=&pageToken=&key=``.

Likes (canonical metric ``likes``, an all-time total per artist and platform, as
``metrics_at(world, t, scraped=True)`` gives it):

* Spotify's Web API has no engagement counter. The simulator adds a non-standard
  ``"saves": {"total": N}`` to each artist object: all-time saves of the artist's tracks, as
  Spotify for Artists reports them and scrapers send them (``scraper.metrics``, metric
  ``likes``). Spotify ``likes`` = saves.
* YouTube reports likes per video (``statistics.likeCount``), not per channel; YouTube
  ``likes`` = the channel's all-time likes over its videos, which scrapers send. The
  most-popular chart's videos carry their share of them, as they do of views.
"""

import base64
import hashlib
import re

import polars as pl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoteros_pipelines.simulator.accounts import platform_snapshot
from promoteros_pipelines.simulator.plumbing import (
    SimState,
    basic_credentials,
    error_response,
    form_fields,
    platform_endpoint,
    require_bearer,
    rfc3339,
)
from promoteros_pipelines.simulator.world import trending_at

PLAYLISTS = {"viral": "37i9dQZEVXbSimViral50", "trending": "37i9dQZEVXbSimTrend100"}
PLAYLIST_SIZES = {"viral": 50, "trending": 100}
MOST_POPULAR_SIZE = 100
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
_WORDS = "Night Summer Gold Fever Ocean Dance Heart Lights Fire Sky Rain City Dream Wild Run Stay"


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=24).digest()


def _base62(raw: bytes, length: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number = int.from_bytes(raw, "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 62)
        chars.append(alphabet[rem])
    return "".join(chars)


def _track_name(raw: bytes) -> str:
    words = _WORDS.split()
    return f"{words[raw[0] % len(words)]} {words[raw[1] % len(words)]}"


async def spotify_token(request: Request) -> Response:
    state: SimState = request.app.state.sim
    form = await form_fields(request)
    if form.get("grant_type") != "client_credentials":
        return JSONResponse(
            {
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials",
            },
            status_code=400,
        )
    given = basic_credentials(request) or (form.get("client_id"), form.get("client_secret"))
    if not state.accepts("spotify", *given):
        return JSONResponse(
            {"error": "invalid_client", "error_description": "Invalid client"}, status_code=400
        )
    return JSONResponse(
        {
            "access_token": state.tokens.issue("spotify", "BQ"),
            "token_type": "Bearer",
            "expires_in": state.tokens.ttl_seconds,
        }
    )


def _artist_object(row: dict, base: str) -> dict:
    artist_id = row["external_id"]
    return {
        "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
        "followers": {"href": None, "total": int(row["followers"])},
        "saves": {"total": int(row["likes"])},
        "genres": row["genres"],
        "href": f"{base}v1/artists/{artist_id}",
        "id": artist_id,
        "images": [],
        "name": row["name"],
        "popularity": int(row["popularity"]),
        "type": "artist",
        "uri": f"spotify:artist:{artist_id}",
    }


def _spotify_base(request: Request) -> str:
    return str(request.base_url) + "spotify/"


_spotify_auth = require_bearer("spotify", "The access token expired")


@platform_endpoint("spotify", _spotify_auth)
async def spotify_artists(request: Request, state: SimState, now) -> Response:
    ids = [i for i in request.query_params.get("ids", "").split(",") if i]
    if not ids:
        return error_response("spotify", 400, "No ids provided")
    if len(ids) > 50:
        return error_response("spotify", 400, "Too many ids requested")
    if not all(_SPOTIFY_ID.match(i) for i in ids):
        return error_response("spotify", 400, "Invalid base62 id")
    snap = platform_snapshot(state.world, now, "spotify")
    rows = {r["external_id"]: r for r in snap.filter(pl.col("external_id").is_in(ids)).to_dicts()}
    base = _spotify_base(request)
    artists = [_artist_object(rows[i], base) if i in rows else None for i in ids]
    return JSONResponse({"artists": artists})


def playlist_entries(state: SimState, now, kind: str) -> pl.DataFrame:
    """Ranked artists of a playlist: viral = episodes first, trending = 7-day growth only."""
    ranked = trending_at(state.world, now, "spotify")
    if kind == "trending":
        ranked = ranked.sort(["growth_7d", "artist_id"], descending=[True, False])
    snap = platform_snapshot(state.world, now, "spotify").select("artist_id", "external_id", "name")
    return ranked.head(PLAYLIST_SIZES[kind]).join(snap, on="artist_id", maintain_order="left")


@platform_endpoint("spotify", _spotify_auth)
async def spotify_playlist_tracks(request: Request, state: SimState, now) -> Response:
    playlist_id = request.path_params["playlist_id"]
    kind = next((k for k, v in PLAYLISTS.items() if v == playlist_id), None)
    if kind is None:
        return error_response("spotify", 404, "Resource not found")
    try:
        offset = int(request.query_params.get("offset", 0))
        limit = int(request.query_params.get("limit", 100))
    except ValueError:
        return error_response("spotify", 400, "Invalid offset or limit")
    if not (1 <= limit <= 100) or offset < 0:
        return error_response("spotify", 400, "Invalid limit")
    entries = playlist_entries(state, now, kind).to_dicts()
    base = _spotify_base(request)
    href = f"{base}v1/playlists/{playlist_id}/tracks"
    items = []
    for position in range(offset, min(offset + limit, len(entries))):
        row = entries[position]
        raw = _digest(state.world.seed, kind, row["artist_id"])
        artists = [{"id": row["external_id"], "name": row["name"]}]
        name = _track_name(raw)
        if raw[2] % 6 == 0 and position + 1 < len(entries):
            guest = entries[position + 1]
            artists.append({"id": guest["external_id"], "name": guest["name"]})
            name = f"{name} (feat. {guest['name']})"
        track_id = _base62(raw, 22)
        for artist in artists:
            artist |= {
                "type": "artist",
                "uri": f"spotify:artist:{artist['id']}",
                "href": f"{base}v1/artists/{artist['id']}",
            }
        items.append(
            {
                "added_at": rfc3339(now),
                "is_local": False,
                "track": {
                    "id": track_id,
                    "name": name,
                    "type": "track",
                    "uri": f"spotify:track:{track_id}",
                    "popularity": min(100, 40 + raw[3] % 60),
                    "artists": artists,
                },
            }
        )
    total = len(entries)

    def page(at: int) -> str:
        return f"{href}?offset={at}&limit={limit}"

    return JSONResponse(
        {
            "href": page(offset),
            "items": items,
            "limit": limit,
            "next": page(offset + limit) if offset + limit < total else None,
            "offset": offset,
            "previous": page(max(0, offset - limit)) if offset > 0 else None,
            "total": total,
        }
    )


def _youtube_key(request: Request, state: SimState) -> Response | None:
    key = request.query_params.get("key")
    if not key:
        return error_response(
            "youtube", 403, "The request is missing a valid API key.", code="forbidden"
        )
    if not state.accepts("youtube", key):
        return error_response(
            "youtube", 400, "API key not valid. Please pass a valid API key.", code="keyInvalid"
        )
    return None


@platform_endpoint("youtube", _youtube_key)
async def youtube_channels(request: Request, state: SimState, now) -> Response:
    parts = set(request.query_params.get("part", "").split(","))
    ids = [i for i in request.query_params.get("id", "").split(",") if i]
    if not parts & {"statistics", "snippet", "id"}:
        return error_response("youtube", 400, "Required parameter: part", code="required")
    if len(ids) > 50:
        return error_response("youtube", 400, "Too many ids (max 50).", code="invalidParameter")
    snap = platform_snapshot(state.world, now, "youtube")
    rows = {r["external_id"]: r for r in snap.filter(pl.col("external_id").is_in(ids)).to_dicts()}
    items = []
    for channel_id in ids:
        row = rows.get(channel_id)
        if row is None:
            continue
        item: dict = {
            "kind": "youtube#channel",
            "etag": _base62(_digest(channel_id, now), 27),
            "id": channel_id,
        }
        if "snippet" in parts:
            item["snippet"] = {"title": row["name"], "description": "", "customUrl": ""}
        if "statistics" in parts:
            item["statistics"] = {
                "viewCount": str(int(row["views"])),
                "subscriberCount": str(int(row["followers"])),
                "hiddenSubscriberCount": False,
                "videoCount": str(int(row["posts"])),
            }
        items.append(item)
    return JSONResponse(
        {
            "kind": "youtube#channelListResponse",
            "etag": _base62(_digest(",".join(ids), now), 27),
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            "items": items,
        }
    )


@platform_endpoint("youtube", _youtube_key)
async def youtube_most_popular(request: Request, state: SimState, now) -> Response:
    if request.query_params.get("chart") != "mostPopular":
        return error_response(
            "youtube", 400, "Only chart=mostPopular is simulated.", code="invalidParameter"
        )
    size = min(max(int(request.query_params.get("maxResults", 5)), 1), 50)
    token = request.query_params.get("pageToken", "")
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        return error_response("youtube", 400, "Invalid pageToken", code="invalidPageToken")
    snap = platform_snapshot(state.world, now, "youtube")
    ranked = (
        trending_at(state.world, now, "youtube")
        .head(MOST_POPULAR_SIZE)
        .join(
            snap.select("artist_id", "external_id", "name", "views", "likes"),
            on="artist_id",
            maintain_order="left",
        )
        .to_dicts()
    )
    items = []
    for row in ranked[offset : offset + size]:
        raw = _digest(state.world.seed, "yt", row["artist_id"])
        title = row["name"] if raw[4] % 3 else f"{row['name']} - Topic"
        items.append(
            {
                "kind": "youtube#video",
                "id": _base62(raw, 11),
                "snippet": {
                    "publishedAt": rfc3339(now),
                    "channelId": row["external_id"],
                    "title": f"{row['name']} - {_track_name(raw)} (Official Video)",
                    "channelTitle": title,
                    "categoryId": "10",
                },
                "statistics": {
                    "viewCount": str(int(row["views"]) // (5 + raw[5] % 20)),
                    "likeCount": str(int(row["likes"]) // (5 + raw[5] % 20)),
                },
            }
        )
    body = {
        "kind": "youtube#videoListResponse",
        "items": items,
        "pageInfo": {"totalResults": len(ranked), "resultsPerPage": size},
    }
    if offset + size < len(ranked):
        body["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
    return JSONResponse(body)


ROUTES = [
    Route("/spotify/api/token", spotify_token, methods=["POST"]),
    Route("/spotify/v1/artists", spotify_artists),
    Route("/spotify/v1/playlists/{playlist_id}/tracks", spotify_playlist_tracks),
    Route("/youtube/v3/channels", youtube_channels),
    Route("/youtube/v3/videos", youtube_most_popular),
]
