"""An organisation with two venues and one person per role; helpers to file approvals."""

from datetime import UTC, datetime, timedelta

from promoteros_pipelines.defs.approvals.store import request_approval
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

ORG = "north"
EXEC = "hana.exec@north.example"
EXEC_2 = "omar.exec@north.example"
OPS = "tom.ops@north.example"
VENUE_MANAGER = "callum.vm@north.example"
OTHER_VENUE_MANAGER = "ruth.vm@north.example"
ANALYST = "priya.analyst@north.example"
PEOPLE = [
    ("Hana Exec", EXEC, "exec", None),
    ("Omar Exec", EXEC_2, "exec", None),
    ("Tom Ops", OPS, "ops", None),
    ("Callum Reid", VENUE_MANAGER, "venue_manager", "barrowland"),
    ("Ruth Vale", OTHER_VENUE_MANAGER, "venue_manager", "koko"),
    ("Priya Raman", ANALYST, "analyst", None),
]


def add_people(warehouse: PostgresWarehouse) -> PostgresWarehouse:
    """The warehouse with organisation ``north``, venues ``barrowland`` and ``koko``."""
    with warehouse.connect() as conn:
        (org_id,) = conn.execute(
            "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
            " VALUES (%s, 'North Live', 'Europe/London', 'GBP') RETURNING organisation_id",
            (ORG,),
        ).fetchone()
        venues = {}
        for slug in ("barrowland", "koko"):
            (venues[slug],) = conn.execute(
                "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country,"
                " latitude, longitude, capacity, typical_ticket_price)"
                " VALUES (%s, %s, %s, 'Glasgow', 'GB', 55.85, -4.24, 1900, 25)"
                " RETURNING venue_id",
                (org_id, slug, slug.title()),
            ).fetchone()
        for name, email, role, venue in PEOPLE:
            conn.execute(
                "INSERT INTO promoteros.recipients (organisation_id, name, email, role, venue_id)"
                " VALUES (%s, %s, %s, %s, %s)",
                (org_id, name, email, role, venues.get(venue)),
            )
    return warehouse


def offer(
    warehouse: PostgresWarehouse,
    key: str = "offer-1",
    *,
    requested_by: str = ANALYST,
    artist: str = "Nova Lights",
    venue: str = "barrowland",
    now: datetime | None = None,
    priority: str = "normal",
) -> str:
    approval_id, _ = request_approval(
        warehouse,
        kind="booking_offer",
        request_key=key,
        requested_by=requested_by,
        subject={"artist": artist, "venue": venue, "fee": 12000, "currency": "GBP"},
        organisation=ORG,
        priority=priority,
        now=now,
    )
    return approval_id


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)
