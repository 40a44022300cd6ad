"""Audience by city, in the shape of Chartmetric's API (base ``/chartmetric`` standing for
``https://api.chartmetric.com``).

Public Spotify has no city data; Chartmetric serves Spotify for Artists' "where people listen"
(the top cities of an artist's monthly listeners, one entry per city and day). Mirrored:

* ``POST /api/token`` with ``{"refreshtoken": "..."}`` -> ``{"token", "expires_in",
  "refresh_token", "scope"}``; an unknown refresh token is a 401.
* ``GET /api/artist/spotify/{spotify_id}/get-ids`` -> ``{"obj": [{"cm_artist", "artist_name",
  "spotify_artist_id"}]}`` (Chartmetric's own artist id from a platform id); unknown ids 404.
* ``GET /api/artist/{cm_artist}/where-people-listen?since=YYYY-MM-DD&until=YYYY-MM-DD
  &latest=true&limit=N`` -> ``{"obj": {"cities": {NAME: [{"code2", "listeners", "timestp",
  "artist_city_rank", "lat", "lng", "city_id", "spotify_artist_id"}]}, "countries": {NAME:
  [{"code2", "listeners", "timestp"}]}}}``. ``latest=true`` gives the latest day only; else one
  entry per day from ``since`` to ``until`` (at most 31 days). ``limit`` caps the cities per
  day (default 50, Chartmetric's maximum).

Cities are the simulated world's ``touring.CITIES``; the numbers come from
``audience.city_listeners_at`` (monthly listeners by city, derived from the artist's size,
home city and genre). Errors are ``{"error": message}``. A simulated ``cm_artist`` is the
world's artist id.
"""

import datetime as dt

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoteros_pipelines.simulator.accounts import lookup_row
from promoteros_pipelines.simulator.audience import city_listeners_at
from promoteros_pipelines.simulator.plumbing import SimState, platform_endpoint, require_bearer
from promoteros_pipelines.simulator.touring import CITIES, COUNTRY_NAMES

MAX_DAYS = 31
MAX_CITIES = 50


async def chartmetric_token(request: Request) -> Response:
    state: SimState = request.app.state.sim
    try:
        body = await request.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict) or not state.accepts("chartmetric", body.get("refreshtoken")):
        return JSONResponse({"error": "invalid refresh token"}, status_code=401)
    return JSONResponse(
        {
            "token": state.tokens.issue("chartmetric", "cm."),
            "expires_in": state.tokens.ttl_seconds,
            "refresh_token": body["refreshtoken"],
            "scope": "api",
        }
    )


_auth = require_bearer("chartmetric", "invalid or expired token")


@platform_endpoint("chartmetric", _auth)
async def chartmetric_ids(request: Request, state: SimState, now) -> Response:
    spotify_id = request.path_params["spotify_id"]
    row = lookup_row(state.world, "spotify", "external_id", spotify_id)
    if row is None:
        return JSONResponse({"error": f"no artist with spotify id {spotify_id}"}, 404)
    return JSONResponse(
        {
            "obj": [
                {
                    "cm_artist": row["artist_id"],
                    "artist_name": row["name"],
                    "spotify_artist_id": spotify_id,
                }
            ]
        }
    )


def _days(request: Request, now: dt.datetime) -> list[dt.datetime] | None:
    today = dt.datetime.combine(now.date(), dt.time(), dt.UTC)
    if request.query_params.get("latest", "").lower() == "true":
        return [today]
    try:
        since = dt.date.fromisoformat(request.query_params["since"])
        until_text = request.query_params.get("until")
        until = dt.date.fromisoformat(until_text) if until_text else today.date()
    except (KeyError, ValueError):
        return None
    until = min(until, today.date())
    if since > until or (until - since).days >= MAX_DAYS:
        return None
    count = (until - since).days + 1
    return [
        dt.datetime.combine(since, dt.time(), dt.UTC) + dt.timedelta(days=i) for i in range(count)
    ]


@platform_endpoint("chartmetric", _auth)
async def where_people_listen(request: Request, state: SimState, now) -> Response:
    try:
        cm_artist = int(request.path_params["cm_artist"])
        limit = min(int(request.query_params.get("limit", MAX_CITIES)), MAX_CITIES)
    except ValueError:
        return JSONResponse({"error": "artist id and limit must be integers"}, 400)
    if not 1 <= cm_artist <= state.world.n_artists:
        return JSONResponse({"error": f"no artist with id {cm_artist}"}, 404)
    days = _days(request, now)
    if days is None:
        return JSONResponse(
            {"error": f"pass latest=true, or since (and until) at most {MAX_DAYS} days apart"}, 400
        )
    spotify = lookup_row(state.world, "spotify", "artist_id", cm_artist)
    spotify_id = spotify["external_id"] if spotify else None
    city_ids = {c[0]: i + 1 for i, c in enumerate(CITIES)}
    cities: dict[str, list[dict]] = {}
    countries: dict[str, list[dict]] = {}
    for day in days:
        stamp = day.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        # a few dozen cities: plain Python, not a polars sort and group-by per request
        rows = city_listeners_at(state.world, day, artist_id=cm_artist).to_dicts()
        ranked = sorted(rows, key=lambda row: row["listeners"], reverse=True)
        for rank, row in enumerate(ranked[:limit], start=1):
            cities.setdefault(row["city"], []).append(
                {
                    "code2": row["country"],
                    "listeners": row["listeners"],
                    "timestp": stamp,
                    "artist_city_rank": rank,
                    "lat": row["latitude"],
                    "lng": row["longitude"],
                    "city_id": city_ids[row["city"]],
                    "spotify_artist_id": spotify_id,
                }
            )
        by_country: dict[str, int] = {}
        for row in rows:
            by_country[row["country"]] = by_country.get(row["country"], 0) + row["listeners"]
        for code, listeners in sorted(by_country.items()):
            countries.setdefault(COUNTRY_NAMES.get(code, code), []).append(
                {"code2": code, "listeners": listeners, "timestp": stamp}
            )
    return JSONResponse({"obj": {"cities": cities, "countries": countries}})


ROUTES = [
    Route("/chartmetric/api/token", chartmetric_token, methods=["POST"]),
    Route("/chartmetric/api/artist/spotify/{spotify_id}/get-ids", chartmetric_ids),
    Route("/chartmetric/api/artist/{cm_artist}/where-people-listen", where_people_listen),
]
