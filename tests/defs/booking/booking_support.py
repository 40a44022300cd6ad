"""A small booking world: organisation ``north`` with two Glasgow venues and its people,
artists with management contacts, and ``booking_scores`` / ``tour_dates`` rows written as
the scoring asset writes them."""

import datetime as dt
import json
from dataclasses import dataclass

from dagster import materialize

from promoteros_pipelines.defs.booking.opportunities import booking_opportunities
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

ORG = "north"
VENUE_MANAGER = "callum.vm@north.example"  # manages barrowland
OTHER_VENUE_MANAGER = "ruth.vm@north.example"  # manages koko
EXEC = "hana.exec@north.example"
MANAGEMENT = "bookings@nova-mgmt.example"
HOSTILE = "<script>alert(1)</script> {{7*7}}"


@dataclass(frozen=True)
class World:
    warehouse: PostgresWarehouse
    barrowland: int
    koko: int
    nova: int
    hostile: int
    quiet: int


def _one(conn, query: str, params: tuple) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def build_world(warehouse: PostgresWarehouse, today: dt.date | None = None) -> World:
    """Scores: Nova Lights at Barrowland 92 (offer), the hostile name at Barrowland 85
    (opportunity only), Quiet Folk at Koko 60 (below the threshold). Nova plays Edinburgh
    (~70 km away) 60 days from today."""
    today = today or dt.datetime.now(dt.UTC).date()
    scored_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with warehouse.connect() as conn:
        org = _one(
            conn,
            "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
            " VALUES (%s, 'North Live', 'Europe/London', 'GBP') RETURNING organisation_id",
            (ORG,),
        )
        venues = {}
        for slug, capacity in (("barrowland", 1900), ("koko", 1400)):
            venues[slug] = _one(
                conn,
                "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country,"
                " latitude, longitude, capacity, typical_ticket_price, fixed_cost,"
                " cost_per_head) VALUES (%s, %s, %s, 'Glasgow', 'GB', 55.85, -4.24, %s, 25,"
                " 8000, 4) RETURNING venue_id",
                (org, slug, slug.title(), capacity),
            )
        for name, email, role, venue in (
            ("Hana Exec", EXEC, "exec", None),
            ("Callum Reid", VENUE_MANAGER, "venue_manager", "barrowland"),
            ("Ruth Vale", OTHER_VENUE_MANAGER, "venue_manager", "koko"),
            ("Priya Raman", "priya.analyst@north.example", "analyst", None),
        ):
            conn.execute(
                "INSERT INTO promoteros.recipients (organisation_id, name, email, role, venue_id)"
                " VALUES (%s, %s, %s, %s, %s)",
                (org, name, email, role, venues.get(venue)),
            )
        artists = {}
        for name in ("Nova Lights", HOSTILE, "Quiet Folk"):
            artists[name] = _one(
                conn,
                "INSERT INTO promoteros.artists (name, normalized_name, genres)"
                " VALUES (%s, lower(%s), '{indie}') RETURNING artist_id",
                (name, name),
            )
            conn.execute(
                "INSERT INTO promoteros.artist_management (artist_id, name, email)"
                " VALUES (%s, %s, %s)",
                (artists[name], f"Management of {name}", MANAGEMENT),
            )
        for artist, venue, score in (
            ("Nova Lights", "barrowland", 92.0),
            (HOSTILE, "barrowland", 85.0),
            ("Quiet Folk", "koko", 60.0),
        ):
            components = {"momentum": 0.9, "routing": 0.8 if artist == "Nova Lights" else 0.0}
            if artist == "Nova Lights":  # the scoring asset's routing evidence
                components |= {"routing_km": 66.0, "routing_city": "Edinburgh"}
            conn.execute(
                "INSERT INTO promoteros.booking_scores (artist_id, venue_id, scored_at, score,"
                " components, explanation, model_version) VALUES (%s, %s, %s, %s, %s, %s,"
                " 'booking_v1')",
                (
                    artists[artist], venues[venue], scored_at, score, json.dumps(components),
                    f"{artist} is rising and fits the room",
                ),
            )  # fmt: skip
        conn.execute(
            "INSERT INTO promoteros.tour_dates (event_id, artist_id, event_date, venue_name,"
            " city, country, latitude, longitude) VALUES"
            " ('bit-1', %s, %s, 'Usher Hall', 'Edinburgh', 'GB', 55.95, -3.21),"
            " ('bit-2', %s, %s, 'King Tut''s', 'Glasgow', 'GB', 55.86, -4.26)",
            (
                artists["Nova Lights"], today + dt.timedelta(days=60),
                artists["Nova Lights"], today - dt.timedelta(days=20),
            ),
        )  # fmt: skip
    return World(
        warehouse,
        venues["barrowland"],
        venues["koko"],
        artists["Nova Lights"],
        artists[HOSTILE],
        artists["Quiet Folk"],
    )


def run_opportunities(warehouse: PostgresWarehouse, threshold: float = 80.0):
    result = materialize(
        [booking_opportunities],
        resources={"warehouse": warehouse},
        run_config={"ops": {"booking_opportunities": {"config": {"threshold": threshold}}}},
    )
    assert result.success
    return result.asset_materializations_for_node("booking_opportunities")[0].metadata


def opportunity_of(warehouse: PostgresWarehouse, artist_id: int, venue_id: int) -> dict:
    with warehouse.connect() as conn:
        cursor = conn.execute(
            "SELECT * FROM promoteros.booking_opportunities WHERE artist_id = %s"
            " AND venue_id = %s ORDER BY id DESC LIMIT 1",
            (artist_id, venue_id),
        )
        names = [c.name for c in cursor.description or []]
        row = cursor.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))
