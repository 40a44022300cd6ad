"""The SQL of ``booking_opportunities``: filing one per pair, moving its status, listing it.

One live opportunity per (artist, venue) is the database's rule (a partial unique index on
the live statuses); ``file_opportunity`` inserts with ``ON CONFLICT`` on that index, so two
runs that race file one row between them, and a re-run refreshes the recommendation of a
``new`` opportunity without touching one already in an approval or sent. Every status change
is a conditional ``UPDATE ... WHERE status = <expected>``, so two workers cannot both send
the same offer or follow-up.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from promoteros_pipelines.domain.booking_offer import LIVE, status_after_response
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

LIVE_SQL = "('" + "', '".join(LIVE) + "')"
TABLE = "promoteros.booking_opportunities"

FILE = f"""
INSERT INTO {TABLE} (artist_id, venue_id, organisation_id, status, score, window_start,
    window_end, routing, projection, recommendation)
VALUES (%(artist_id)s, %(venue_id)s, %(organisation_id)s, 'new', %(score)s, %(window_start)s,
    %(window_end)s, %(routing)s, %(projection)s, %(recommendation)s)
ON CONFLICT (artist_id, venue_id) WHERE status IN {LIVE_SQL}
DO UPDATE SET score = EXCLUDED.score, window_start = EXCLUDED.window_start,
    window_end = EXCLUDED.window_end, routing = EXCLUDED.routing,
    projection = EXCLUDED.projection, recommendation = EXCLUDED.recommendation,
    updated_at = now()
WHERE booking_opportunities.status = 'new'
RETURNING id, (xmax = 0) AS created
"""

SELECT = f"""
SELECT b.id, b.artist_id, a.name AS artist, b.venue_id, v.name AS venue, v.slug AS venue_slug,
       v.city, o.slug AS organisation, o.name AS organisation_name, o.currency, b.status,
       b.score::float8 AS score,
       b.window_start, b.window_end, b.routing, b.projection, b.recommendation, b.approval_id,
       b.alert_id, b.response, b.response_note, b.status_reason, b.offer_path, b.sent_at,
       b.followed_up_at, b.follow_up_at, b.created_at, b.updated_at,
       m.email AS management_email, m.name AS management_name
FROM {TABLE} b
JOIN promoteros.artists a USING (artist_id)
JOIN promoteros.venues v ON v.venue_id = b.venue_id
JOIN promoteros.organisations o ON o.organisation_id = v.organisation_id
LEFT JOIN promoteros.artist_management m ON m.artist_id = b.artist_id
"""


class UnknownOpportunity(LookupError):
    """No booking opportunity has this id."""

    def __init__(self, opportunity_id: int) -> None:
        super().__init__(
            f"there is no booking opportunity {opportunity_id}; check the id with "
            "`promoteros booking list`"
        )
        self.opportunity_id = opportunity_id


class ResponseRefused(ValueError):
    """An answer that cannot be recorded (the opportunity is closed); nothing changed."""


@dataclass(frozen=True)
class Filed:
    opportunity_id: int
    created: bool


def file_opportunity(conn: psycopg.Connection, row: dict[str, Any]) -> Filed | None:
    """Insert a ``new`` opportunity, or refresh the live ``new`` one of the pair. None when
    the pair's live opportunity is further along (in approval, sent): it is left alone."""
    params = {
        **row,
        "routing": Jsonb(row["routing"]),
        "projection": Jsonb(row["projection"]),
        "recommendation": Jsonb(row["recommendation"]),
    }
    found = conn.execute(FILE, params).fetchone()
    return Filed(int(found[0]), bool(found[1])) if found else None


def set_alert(conn: psycopg.Connection, opportunity_id: int, alert_id: int | None) -> None:
    conn.execute(
        f"UPDATE {TABLE} SET alert_id = %s, updated_at = now() WHERE id = %s",
        (alert_id, opportunity_id),
    )


def get(warehouse: PostgresWarehouse, opportunity_id: int) -> dict[str, Any] | None:
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(SELECT + " WHERE b.id = %s", (opportunity_id,)).fetchone()


def exists(warehouse: PostgresWarehouse, opportunity_id: int) -> bool:
    with warehouse.connect() as conn:
        found = conn.execute(f"SELECT 1 FROM {TABLE} WHERE id = %s", (opportunity_id,))
        return found.fetchone() is not None


def list_opportunities(
    warehouse: PostgresWarehouse,
    *,
    organisation: str | None = None,
    status: str | None = None,
    venue_id: int | None = None,
    live_only: bool = False,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Highest score first, then newest."""
    query = (
        SELECT + " WHERE (%(org)s::text IS NULL OR o.slug = %(org)s)"
        " AND (%(status)s::text IS NULL OR b.status = %(status)s)"
        " AND (%(venue)s::bigint IS NULL OR b.venue_id = %(venue)s)"
        f" AND (NOT %(live)s OR b.status IN {LIVE_SQL})"
        " ORDER BY b.score DESC, b.created_at DESC, b.id LIMIT %(limit)s"
    )
    params = {
        "org": organisation,
        "status": status,
        "venue": venue_id,
        "live": live_only,
        "limit": limit,
    }
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, params).fetchall()


def await_approval(
    warehouse: PostgresWarehouse, opportunity_id: int, approval_id: str, offer_path: str
) -> bool:
    """``new`` -> ``pending_approval`` with its approval and offer file (once)."""
    return (
        warehouse.execute(
            f"UPDATE {TABLE} SET status = 'pending_approval', approval_id = %s, offer_path = %s,"
            " status_reason = 'offer prepared; waiting for approval', updated_at = now()"
            " WHERE id = %s AND status = 'new'",
            (approval_id, offer_path, opportunity_id),
        )
        == 1
    )


def claim_approved(warehouse: PostgresWarehouse, now: dt.datetime) -> list[dict[str, Any]]:
    """Opportunities whose offer was approved (by people or automatically), moved to
    ``sent`` in the same statement, so each is returned to one caller once."""
    with warehouse.connect() as conn:
        ids = conn.execute(
            f"UPDATE {TABLE} b SET status = 'sent', sent_at = %(now)s,"
            " follow_up_at = %(now)s + interval '48 hours', updated_at = now(),"
            " status_reason = 'offer approved and mailed to the artist''s management'"
            " FROM promoteros.approvals a WHERE a.id = b.approval_id"
            " AND b.status = 'pending_approval' AND a.status IN ('approved', 'auto_approved')"
            " AND EXISTS (SELECT 1 FROM promoteros.artist_management m"
            "   WHERE m.artist_id = b.artist_id)"
            " RETURNING b.id",
            {"now": now},
        ).fetchall()
    return [row for (oid,) in ids if (row := get(warehouse, oid)) is not None]


def approved_without_contact(warehouse: PostgresWarehouse) -> list[dict[str, Any]]:
    """Approved offers that cannot go out: the artist has no management contact."""
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            SELECT + " JOIN promoteros.approvals ap ON ap.id = b.approval_id"
            " WHERE b.status = 'pending_approval' AND ap.status IN ('approved', 'auto_approved')"
            " AND m.email IS NULL ORDER BY b.id"
        ).fetchall()


def unclaim_sent(warehouse: PostgresWarehouse, opportunity_id: int) -> None:
    """The offer mail failed: back to ``pending_approval`` so the next tick sends it."""
    warehouse.execute(
        f"UPDATE {TABLE} SET status = 'pending_approval', sent_at = NULL, follow_up_at = NULL,"
        " status_reason = 'approved; the offer mail failed and will be retried',"
        " updated_at = now() WHERE id = %s AND status = 'sent'",
        (opportunity_id,),
    )


def claim_follow_ups(warehouse: PostgresWarehouse, now: dt.datetime) -> list[dict[str, Any]]:
    """Sent offers with no answer 48 h on, moved to ``followed_up`` (so it goes once)."""
    with warehouse.connect() as conn:
        ids = conn.execute(
            f"UPDATE {TABLE} SET status = 'followed_up', followed_up_at = %(now)s,"
            " status_reason = 'no answer 48 hours after the offer; follow-up mailed',"
            " updated_at = now() WHERE status = 'sent' AND response IS NULL"
            " AND follow_up_at <= %(now)s RETURNING id",
            {"now": now},
        ).fetchall()
    return [row for (oid,) in ids if (row := get(warehouse, oid)) is not None]


def unclaim_follow_up(warehouse: PostgresWarehouse, opportunity_id: int) -> None:
    warehouse.execute(
        f"UPDATE {TABLE} SET status = 'sent', followed_up_at = NULL, updated_at = now(),"
        " status_reason = 'the follow-up mail failed and will be retried'"
        " WHERE id = %s AND status = 'followed_up'",
        (opportunity_id,),
    )


def close_after_approval(warehouse: PostgresWarehouse) -> list[dict[str, Any]]:
    """Offers whose approval was rejected (-> ``declined``) or expired (-> ``expired``)."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            f"UPDATE {TABLE} b SET status = CASE a.status WHEN 'rejected' THEN 'declined'"
            " ELSE 'expired' END, updated_at = now(),"
            " status_reason = CASE a.status"
            "  WHEN 'rejected' THEN 'the offer was rejected in its approval, so it was never sent'"
            "  ELSE 'nobody decided the offer''s approval in time (timeout = reject), so it"
            " was not sent' END"
            " FROM promoteros.approvals a WHERE a.id = b.approval_id"
            " AND b.status = 'pending_approval' AND a.status IN ('rejected', 'expired')"
            " RETURNING b.id, b.status, b.status_reason",
        ).fetchall()
    return [{"id": r[0], "status": r[1], "status_reason": r[2]} for r in rows]


def expire_past_window(warehouse: PostgresWarehouse, today: dt.date) -> int:
    """Live opportunities whose proposed window has passed without an acceptance."""
    return warehouse.execute(
        f"UPDATE {TABLE} SET status = 'expired', updated_at = now(),"
        " status_reason = 'the proposed window (' || window_start || ' to ' || window_end"
        " || ') passed without an acceptance'"
        f" WHERE status IN {LIVE_SQL} AND window_end < %s",
        (today,),
    )


def record_response(
    warehouse: PostgresWarehouse, opportunity_id: int, response: str, note: str | None
) -> dict[str, Any]:
    """Record the artist's answer: accepted/declined close the opportunity, a counter keeps
    it live for negotiation. The same answer twice changes nothing; an answer to a closed
    opportunity is refused."""
    closing = status_after_response(response)
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            f"SELECT id, status, response, response_note FROM {TABLE} WHERE id = %s FOR UPDATE",
            (opportunity_id,),
        ).fetchone()
        if row is None:
            raise UnknownOpportunity(opportunity_id)
        if row["status"] not in LIVE:
            if row["response"] == response and row["status"] == (closing or row["status"]):
                return row
            raise ResponseRefused(
                f"booking opportunity {opportunity_id} is already {row['status']}; "
                f"its answer cannot be changed to {response}"
            )
        reason = {
            "accepted": "the artist's management accepted the offer",
            "declined": "the artist's management declined the offer",
            "counter": "the artist's management made a counter-offer; negotiate and record "
            "the final answer",
        }[response]
        updated = cursor.execute(
            f"UPDATE {TABLE} SET response = %s, response_note = %s, status = %s,"
            " status_reason = %s, updated_at = now() WHERE id = %s"
            " RETURNING id, status, response, response_note",
            (response, note, closing or row["status"], reason, opportunity_id),
        ).fetchone()
    assert updated is not None
    return updated


def set_management(warehouse: PostgresWarehouse, artist_id: int, name: str, email: str) -> None:
    warehouse.execute(
        "INSERT INTO promoteros.artist_management (artist_id, name, email) VALUES (%s, %s, %s)"
        " ON CONFLICT (artist_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,"
        " updated_at = now()",
        (artist_id, name, email),
    )
