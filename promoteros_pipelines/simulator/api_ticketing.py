"""A ticketing system for the world's shows: an Eventbrite-v3-like API and signed webhooks.

``GET /ticketing/v3/organizations/{organisation_id}/events/?page=N&page_size=M``: the
organisation's shows, Eventbrite's shape (``pagination`` with ``page_number``,
``page_count``, ``has_more_items``; events with ``id``, ``name.text``, ``start.utc``,
``capacity`` and ``ticket_classes`` carrying ``quantity_total`` / ``quantity_sold`` and
``cost``), sales as of the simulator's clock (``touring.ticket_sales_at``). Bearer token.
``status=live`` (or ``ended``, comma-separated as Eventbrite takes it) keeps only shows still
to play (or played).
One extension: ``venue.slug``, the venue's slug in PromoterOS (a real integration keeps
that mapping in its configuration). Shows whose sales have not opened are left out.

``POST /_control/ticketing/webhooks``: the simulator posts ``ticketing.sales`` webhooks,
signed with Standard Webhooks, to ``{"url", "secret", "shows": N, "points": K,
"per_webhook": B, "duplicate": bool, "shuffle": bool, "late_hours": h}``: K daily curve
points per show ending at the clock (``late_hours`` earlier for a late sender), B points per
webhook (default 1), optionally each sent twice (under new webhook ids, so only the store can
tell) and in shuffled order. Answers with the status of each post.

``POST /_control/ticketing/venues``: ``{"venues": [{"organisation", "slug", "name",
"capacity"}]}``, the promoter's own venues. The world draws its own rooms, which a promoter's
reference data does not know; a real integration keeps a mapping from the ticketing system's
venues to PromoterOS's. This sets that mapping: each organisation's world venues are spread
over its listed venues (in slug order), whose slug, name and capacity the API and the
webhooks then report. From then on the system serves only the mapped venues' shows (the
promoter's own account); "organisation" names the world's organisation by its slug.
"""

import datetime as dt
import json
import random
import uuid
from typing import Any

import httpx
import polars as pl
from standardwebhooks.webhooks import Webhook
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoteros_pipelines.simulator.plumbing import (
    SimState,
    bearer_token,
    platform_endpoint,
    rfc3339,
    state_of,
)
from promoteros_pipelines.simulator.touring import ticket_sales_at

PLATFORM = "ticketing"
MAX_PAGE_SIZE = 200


def _no_token(request: Request, state: SimState) -> Response | None:
    if state.accepts(PLATFORM, bearer_token(request)):
        return None
    return JSONResponse(
        {"status_code": 401, "error": "INVALID_AUTH", "error_description": "bad token"}, 401
    )


def shows_with_venues(state: SimState) -> pl.DataFrame:
    """The world's shows with organisation_id, venue, slug and capacity as the ticketing
    system reports them (the venue mapping, when one was set)."""
    world = state.world
    venues = world.venues.select(
        "venue_id", "organisation_id", pl.col("name").alias("venue"), "slug"
    )
    mapping = state.ticketing_venues
    if mapping is None:
        return world.shows.join(venues, on="venue_id")
    mapped = venues.join(mapping, on="venue_id", suffix="_mapped").select(
        "venue_id",
        "organisation_id",
        pl.col("venue_mapped").alias("venue"),
        pl.col("slug_mapped").alias("slug"),
        pl.col("capacity").alias("mapped_capacity"),
    )
    return (
        world.shows.join(mapped, on="venue_id")
        .with_columns(pl.col("mapped_capacity").alias("capacity"))
        .drop("mapped_capacity")
    )


def venue_mapping(state: SimState, given: list[dict[str, Any]]) -> pl.DataFrame:
    """world venue_id -> (slug, venue, capacity) of the promoter's venues in ``given``."""
    world = state.world
    listed = (
        pl.DataFrame(
            given,
            schema={
                "organisation": pl.String(),
                "slug": pl.String(),
                "name": pl.String(),
                "capacity": pl.Int64(),
            },
        )
        .sort("organisation", "slug")
        .with_columns(
            pl.int_range(pl.len()).over("organisation").alias("position"),
            pl.len().over("organisation").alias("listed"),
        )
    )
    owned = (
        world.venues.filter(pl.col("organisation_id").is_not_null())
        .select("venue_id", "organisation_id")
        .join(
            world.organisations.select("organisation_id", pl.col("slug").alias("organisation")),
            on="organisation_id",
        )
        .sort("venue_id")
        .with_columns(pl.int_range(pl.len()).over("organisation").alias("rank"))
    )
    counts = listed.select("organisation", "listed").unique()
    return (
        owned.join(counts, on="organisation")
        .with_columns((pl.col("rank") % pl.col("listed")).cast(pl.UInt32).alias("position"))
        .join(listed.drop("listed"), on=["organisation", "position"])
        .select("venue_id", "slug", pl.col("name").alias("venue"), "capacity")
    )


async def set_venues(request: Request) -> Response:
    state = state_of(request)
    try:
        given = list((await request.json())["venues"])
        mapping = venue_mapping(state, given)
    except (ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as error:
        return JSONResponse(
            {"error": f"venues: a list of organisation, slug, name, capacity: {error}"}, 400
        )
    state.ticketing_venues = mapping
    return JSONResponse({"mapped": mapping.height})


def organisation_shows(state: SimState, organisation_id: int, now: dt.datetime) -> pl.DataFrame:
    """The organisation's shows on sale at ``now`` with their cumulative sales."""
    shows = shows_with_venues(state).filter(pl.col("organisation_id") == organisation_id)
    sales = ticket_sales_at(shows, now).select("show_id", "tickets_sold", "gross")
    artists = state.world.artists.select("artist_id", pl.col("name").alias("artist"))
    return (
        shows.join(sales, on="show_id")
        .join(artists, on="artist_id", how="left")
        .sort("starts_at", "show_id")
    )


def _event(row: dict[str, Any], currency: str, now: dt.datetime) -> dict[str, Any]:
    cents = round(float(row["ticket_price"]) * 100)
    return {
        "id": str(row["show_id"]),
        "name": {"text": f"{row['artist']} at {row['venue']}"},
        "start": {"utc": rfc3339(row["starts_at"])},
        "status": "live" if row["starts_at"] > now else "ended",
        "capacity": int(row["capacity"]),
        "venue": {"id": str(row["venue_id"]), "name": row["venue"], "slug": row["slug"]},
        "performer": {"name": row["artist"]},
        "ticket_classes": [
            {
                "id": f"{row['show_id']}-ga",
                "name": "General admission",
                "quantity_total": int(row["capacity"]),
                "quantity_sold": int(row["tickets_sold"]),
                "sales_start": rfc3339(row["on_sale_at"]),
                "cost": {
                    "currency": currency,
                    "value": cents,
                    "major_value": f"{cents / 100:.2f}",
                    "display": f"{cents / 100:.2f} {currency}",
                },
            }
        ],
    }


@platform_endpoint(PLATFORM, _no_token)
async def list_events(request: Request, state: SimState, now: dt.datetime) -> Response:
    try:
        organisation_id = int(request.path_params["organisation_id"])
        page = int(request.query_params.get("page", "1"))
        size = min(int(request.query_params.get("page_size", "50")), MAX_PAGE_SIZE)
    except ValueError:
        return JSONResponse({"status_code": 400, "error": "ARGUMENTS_ERROR"}, 400)
    orgs = state.world.organisations.filter(pl.col("organisation_id") == organisation_id)
    if orgs.is_empty() or page < 1 or size < 1:
        return JSONResponse({"status_code": 404, "error": "NOT_FOUND"}, 404)
    currency = str(orgs["currency"][0])
    shows = organisation_shows(state, organisation_id, now)
    wanted = request.query_params.get("status")  # Eventbrite's filter: live, ended, ...
    if wanted:
        live = pl.col("starts_at") > now
        keep = {"live": live, "ended": ~live, "all": pl.lit(True)}
        shows = shows.filter(
            pl.any_horizontal(keep.get(w, pl.lit(False)) for w in wanted.split(","))
        )
    count = shows.height
    pages = max(1, -(-count // size))
    rows = shows.slice((page - 1) * size, size).to_dicts()
    return JSONResponse(
        {
            "pagination": {
                "object_count": count,
                "page_number": page,
                "page_size": size,
                "page_count": pages,
                "has_more_items": page < pages,
            },
            "events": [_event(row, currency, now) for row in rows],
        }
    )


def _payload(row: dict[str, Any], points: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "show_id": str(row["show_id"]),
        "venue_slug": row["slug"],
        "artist_name": row["artist"],
        "show_date": row["starts_at"].date().isoformat(),
        "capacity": int(row["capacity"]),
        "sales": [
            {
                "observed_at": rfc3339(p["observed_at"]),
                "tickets_sold": int(p["tickets_sold"]),
                "gross": float(p["gross"]),
            }
            for p in points
        ],
    }


def sales_webhooks(
    state: SimState,
    shows: int,
    points: int,
    late_hours: float,
    now: dt.datetime,
    per_webhook: int = 1,
) -> list[dict[str, Any]]:
    """``ticketing.sales`` payloads: ``points`` daily curve points per show, the last
    ``late_hours`` before ``now``, for the first ``shows`` shows on sale; ``per_webhook``
    consecutive points of a show in each payload."""
    end = now - dt.timedelta(hours=late_hours)
    on_sale = shows_with_venues(state).filter(
        pl.col("on_sale_at") <= end, pl.col("starts_at") > end
    )
    chosen = on_sale.sort("show_id").head(shows)
    artists = state.world.artists.select("artist_id", pl.col("name").alias("artist"))
    facts = {
        row["show_id"]: row
        for row in chosen.join(artists, on="artist_id", how="left").iter_rows(named=True)
    }
    curve = pl.concat(
        ticket_sales_at(chosen, end - dt.timedelta(days=points - 1 - k)).with_columns(
            pl.lit(end - dt.timedelta(days=points - 1 - k)).alias("observed_at")
        )
        for k in range(points)
    ).sort("show_id", "observed_at")
    size = max(per_webhook, 1)
    payloads = []
    for (show_id,), group in curve.group_by(["show_id"], maintain_order=True):
        rows = group.to_dicts()
        payloads.extend(
            _payload(facts[show_id], rows[start : start + size])
            for start in range(0, len(rows), size)
        )
    return payloads


async def post_webhooks(request: Request) -> Response:
    state = state_of(request)
    try:
        body = await request.json()
        url, hook = str(body["url"]), Webhook(str(body["secret"]))
        shows, points = int(body.get("shows", 10)), int(body.get("points", 5))
        late, per_webhook = float(body.get("late_hours", 0)), int(body.get("per_webhook", 1))
    except (ValueError, KeyError, TypeError) as error:
        return JSONResponse({"error": f"url and a whsec_ secret are required: {error}"}, 400)
    payloads = sales_webhooks(state, shows, points, late, state.now(), per_webhook)
    sends = [(f"msg_{uuid.uuid4().hex}", p) for p in payloads]
    if body.get("duplicate"):
        # sent again as a new message (a new id), which the ingress cannot dedupe for us
        sends = [(f"msg_{uuid.uuid4().hex}", p) for _, p in sends for _ in range(2)]
    if body.get("shuffle"):
        random.Random(int(body.get("seed", 0))).shuffle(sends)
    statuses: list[int] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for webhook_id, payload in sends:
            data = json.dumps(payload)
            at = dt.datetime.now(dt.UTC)  # signature time is wall time: the ingress checks it
            headers = {
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": hook.sign(webhook_id, at, data),
                "content-type": "application/json",
            }
            response = await client.post(url, content=data, headers=headers)
            statuses.append(response.status_code)
    return JSONResponse({"sent": len(sends), "statuses": statuses})


ROUTES = [
    Route("/ticketing/v3/organizations/{organisation_id}/events/", list_events),
    Route("/_control/ticketing/webhooks", post_webhooks, methods=["POST"]),
    Route("/_control/ticketing/venues", set_venues, methods=["POST"]),
]
