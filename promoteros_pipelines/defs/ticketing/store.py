"""SQL of the ticketing area: shows, the sales curve, milestones filed once.

One batch of ``ticketing.sales`` events is stored in one transaction that first takes an
advisory lock per show (in show order, so two runs never deadlock): two runs carrying the
same show serialise, and each reads the milestones already filed under the lock. The
``show_milestones`` key is the exactly-once guard; the alert's dedupe key the second.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import psycopg
from psycopg.rows import dict_row

from promoteros_pipelines.defs.alerts.store import Alert, file_alert
from promoteros_pipelines.defs.ticketing.bulk import copy_frame
from promoteros_pipelines.domain import ticketing as rules
from promoteros_pipelines.domain.discovery import normalize_name
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

EVENT_TYPE = "ticketing.sales"

# The show fields of each event (the latest event's value wins) and its curve points.
READ_SHOWS = """
SELECT event_id, payload->>'show_id' AS show_id, payload->>'venue_slug' AS venue_slug,
       payload->>'artist_name' AS artist_name, (payload->>'show_date')::date AS show_date,
       (payload->>'capacity')::int AS capacity
FROM promoteros.webhook_events
WHERE event_id = ANY(%s) AND event_type = 'ticketing.sales'
ORDER BY event_id
"""
READ_SALES = """
SELECT e.event_id, e.payload->>'show_id' AS show_id, s.observed_at, s.tickets_sold,
       s.gross, s.currency
FROM promoteros.webhook_events AS e
CROSS JOIN LATERAL jsonb_to_recordset(e.payload->'sales') AS s(
    observed_at timestamptz, tickets_sold int, gross numeric, currency text)
WHERE e.event_id = ANY(%s) AND e.event_type = 'ticketing.sales'
ORDER BY e.event_id
"""
SHOWS_WITH_CAPACITY = """
SELECT show_id FROM promoteros.shows WHERE show_id = ANY(%s)
"""
UPSERT_SHOW = """
INSERT INTO promoteros.shows AS s (show_id, organisation_id, venue_id, venue_slug, artist_id,
    artist_name, show_date, capacity, currency, on_sale_at, ticket_price, status)
VALUES (%(show_id)s, %(organisation_id)s, %(venue_id)s, %(venue_slug)s, %(artist_id)s,
    %(artist_name)s, %(show_date)s, %(capacity)s, %(currency)s, %(on_sale_at)s,
    %(ticket_price)s, 'on_sale')
ON CONFLICT (show_id) DO UPDATE SET
    organisation_id = coalesce(EXCLUDED.organisation_id, s.organisation_id),
    venue_id = coalesce(EXCLUDED.venue_id, s.venue_id),
    venue_slug = coalesce(EXCLUDED.venue_slug, s.venue_slug),
    artist_id = coalesce(s.artist_id, EXCLUDED.artist_id),
    artist_name = coalesce(EXCLUDED.artist_name, s.artist_name),
    show_date = coalesce(EXCLUDED.show_date, s.show_date),
    capacity = coalesce(EXCLUDED.capacity, s.capacity),
    currency = coalesce(s.currency, EXCLUDED.currency),
    on_sale_at = coalesce(EXCLUDED.on_sale_at, s.on_sale_at),
    ticket_price = coalesce(EXCLUDED.ticket_price, s.ticket_price),
    updated_at = now()
"""
VENUE_BY_SLUG = """
SELECT v.venue_id, v.organisation_id, v.name FROM promoteros.venues v WHERE v.slug = %s
"""
ARTIST_BY_NAME = """
SELECT artist_id FROM promoteros.artists WHERE normalized_name = %s
"""
STAGE = """
CREATE TEMP TABLE stage_ticket_sales (show_id text, observed_at timestamptz,
    tickets_sold int, gross numeric, currency text, event_id bigint) ON COMMIT DROP
"""
INSERT_SALES = """
INSERT INTO promoteros.ticket_sales (show_id, observed_at, tickets_sold, gross, currency, event_id)
SELECT show_id, observed_at, tickets_sold, gross, currency, event_id FROM stage_ticket_sales
ON CONFLICT (show_id, observed_at) DO NOTHING
"""
# Same moment, another count: the first stored value is kept; these are reported.
CONFLICTING = """
SELECT st.show_id, st.observed_at, st.tickets_sold AS sent, t.tickets_sold AS kept
FROM stage_ticket_sales st JOIN promoteros.ticket_sales t USING (show_id, observed_at)
WHERE t.tickets_sold <> st.tickets_sold
"""
# Refund flags over each touched show's whole curve, ordered by time (not by arrival).
REFLAG = """
UPDATE promoteros.ticket_sales AS t SET refund = f.refund, peak_before = f.peak_before
FROM (
    SELECT show_id, observed_at, peak_before,
           coalesce(tickets_sold < peak_before, false) AS refund
    FROM (
        SELECT show_id, observed_at, tickets_sold,
               max(tickets_sold) OVER (PARTITION BY show_id ORDER BY observed_at
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS peak_before
        FROM promoteros.ticket_sales WHERE show_id = ANY(%s)
    ) AS w
) AS f
WHERE t.show_id = f.show_id AND t.observed_at = f.observed_at
  AND (t.refund IS DISTINCT FROM f.refund OR t.peak_before IS DISTINCT FROM f.peak_before)
"""
CURVES = """
SELECT show_id, observed_at, tickets_sold::bigint AS tickets_sold
FROM promoteros.ticket_sales WHERE show_id = ANY(%s) ORDER BY show_id, observed_at
"""
SHOW_FACTS = """
SELECT s.show_id, s.capacity, s.status, s.organisation_id, s.venue_id, s.show_date,
       coalesce(a.name, s.artist_name) AS artist, v.name AS venue,
       (SELECT t.tickets_sold FROM promoteros.ticket_sales t WHERE t.show_id = s.show_id
        ORDER BY t.observed_at DESC LIMIT 1) AS latest_sold
FROM promoteros.shows s
LEFT JOIN promoteros.venues v USING (venue_id)
LEFT JOIN promoteros.artists a USING (artist_id)
WHERE s.show_id = ANY(%s)
"""
FILED = "SELECT show_id, milestone FROM promoteros.show_milestones WHERE show_id = ANY(%s)"
INSERT_MILESTONE = """
INSERT INTO promoteros.show_milestones (show_id, milestone, reached_at, tickets_sold, alert_id)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (show_id, milestone) DO NOTHING
"""
# A late observation that happened earlier moves reached_at earlier; the alert stays.
EARLIER_REACHED = """
UPDATE promoteros.show_milestones AS m SET reached_at = r.reached_at, tickets_sold = r.sold
FROM unnest(%s::text[], %s::smallint[], %s::timestamptz[], %s::int[])
    AS r(show_id, milestone, reached_at, sold)
WHERE m.show_id = r.show_id AND m.milestone = r.milestone AND r.reached_at < m.reached_at
"""
LOCK_SHOW = "SELECT pg_advisory_xact_lock(hashtext('promoteros.show:' || %s))"
ALERT_ID = "SELECT alert_id FROM promoteros.alerts WHERE dedupe_key = %s"
SET_STATUS = "UPDATE promoteros.shows SET status = %s, updated_at = now() WHERE show_id = %s"


@dataclass
class IngestOutcome:
    """What one batch changed, for the run's metadata."""

    shows: int = 0
    observations_received: int = 0
    observations_inserted: int = 0
    conflicting: list[dict[str, Any]] = field(default_factory=list)
    refunds_flagged: int = 0
    milestones_filed: list[dict[str, Any]] = field(default_factory=list)
    alerts_filed: int = 0
    unroutable: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def shows_without_capacity(warehouse: PostgresWarehouse, events: Sequence[dict]) -> dict[int, str]:
    """Events whose show has no capacity anywhere (not in the event, an earlier event of the
    same tick, or ``shows``): event id -> the refusal naming the show."""
    ids = sorted({str(e["show_id"]) for e in events})
    with warehouse.connect() as conn:
        known = {row[0] for row in conn.execute(SHOWS_WITH_CAPACITY, (ids,)).fetchall()}
    refused: dict[int, str] = {}
    for event in sorted(events, key=lambda e: e["event_id"]):
        show_id = str(event["show_id"])
        if event.get("capacity") is not None:
            known.add(show_id)
        elif show_id not in known:
            try:
                rules.require_capacity(show_id, None)
            except rules.ShowRefused as error:
                refused[int(event["event_id"])] = str(error)
    return refused


def event_heads(warehouse: PostgresWarehouse, event_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The show fields of the given events (no sales), oldest event first."""
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(READ_SHOWS, (list(event_ids),)).fetchall()


def _one(conn: psycopg.Connection, query: str, value: str) -> tuple | None:
    rows = conn.execute(query, (value,)).fetchall()
    return rows[0] if len(rows) == 1 else None  # unknown or ambiguous: leave unmatched


def _upsert_shows(conn: psycopg.Connection, heads: list[dict], outcome: IngestOutcome) -> None:
    latest: dict[str, dict[str, Any]] = {}
    for head in heads:  # oldest first: later events' non-null fields win
        merged = latest.setdefault(head["show_id"], {})
        merged.update({k: v for k, v in head.items() if v is not None})
    for show_id, show in sorted(latest.items()):
        stored = conn.execute(
            "SELECT capacity FROM promoteros.shows WHERE show_id = %s", (show_id,)
        ).fetchone()
        capacity = show.get("capacity") or (stored[0] if stored else None)
        if capacity is None:
            outcome.refused[show_id] = str(_refusal(show_id))
            continue
        venue = _one(conn, VENUE_BY_SLUG, show["venue_slug"]) if show.get("venue_slug") else None
        artist_name = show.get("artist_name")
        artist = _one(conn, ARTIST_BY_NAME, normalize_name(artist_name)) if artist_name else None
        conn.execute(
            UPSERT_SHOW,
            {
                "show_id": show_id,
                "organisation_id": venue[1] if venue else None,
                "venue_id": venue[0] if venue else None,
                "venue_slug": show.get("venue_slug"),
                "artist_id": artist[0] if artist else None,
                "artist_name": artist_name,
                "show_date": show.get("show_date"),
                "capacity": capacity,
                "currency": show.get("currency"),
                "on_sale_at": show.get("on_sale_at"),
                "ticket_price": show.get("ticket_price"),
            },
        )
    outcome.shows = len(latest) - len(outcome.refused)


def _refusal(show_id: str) -> rules.ShowRefused:
    try:
        rules.require_capacity(show_id, None)
    except rules.ShowRefused as error:
        return error
    raise AssertionError("unreachable")


def _stage_sales(conn: psycopg.Connection, sales: pl.DataFrame, outcome: IngestOutcome) -> None:
    conn.execute(STAGE)
    # one point per (show, moment) in a batch: the first event's, as the table keeps the first
    points = sales.sort("event_id").unique(["show_id", "observed_at"], keep="first")
    copy_frame(
        conn,
        "stage_ticket_sales",
        points.select("show_id", "observed_at", "tickets_sold", "gross", "currency", "event_id"),
    )
    outcome.observations_received = sales.height
    with conn.cursor(row_factory=dict_row) as reader:
        outcome.conflicting = reader.execute(CONFLICTING).fetchall()
    outcome.observations_inserted = conn.execute(INSERT_SALES).rowcount


def store_batch(warehouse: PostgresWarehouse, event_ids: Sequence[int]) -> IngestOutcome:
    """Store the shows and sales of these webhook events and file the milestones reached."""
    heads = [dict(h) for h in event_heads(warehouse, event_ids)]
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        raw = cursor.execute(READ_SALES, (list(event_ids),)).fetchall()
    return store_sales(warehouse, heads, raw)


def store_sales(
    warehouse: PostgresWarehouse, heads: list[dict[str, Any]], raw: list[dict[str, Any]]
) -> IngestOutcome:
    """Store shows (``heads``: show_id, venue_slug, artist_name, show_date, capacity and
    optionally on_sale_at, ticket_price; later heads win) and curve points (``raw``: event_id,
    show_id, observed_at, tickets_sold, gross, currency), then file new milestones; one
    transaction, locked per show."""
    outcome = IngestOutcome()
    with warehouse.connect() as conn:
        show_ids = sorted({h["show_id"] for h in heads})
        for show_id in show_ids:
            conn.execute(LOCK_SHOW, (show_id,))
        currency = {r["show_id"]: r["currency"] for r in raw if r.get("currency")}
        for head in heads:
            head.setdefault("currency", currency.get(head["show_id"]))
        _upsert_shows(conn, heads, outcome)
        if outcome.refused:
            # The sensor refuses these; here only when a batch ran before the one that
            # brings the capacity: fail (nothing stored) and let the run retry.
            raise rules.ShowRefused("; ".join(outcome.refused.values()))
        sales = _sales_frame(raw)
        if not sales.is_empty():
            _stage_sales(conn, sales, outcome)
        outcome.refunds_flagged = conn.execute(REFLAG, (show_ids,)).rowcount
        _file_milestones(conn, show_ids, outcome)
    return outcome


def _sales_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "event_id": pl.Int64(),
        "show_id": pl.String(),
        "observed_at": pl.Datetime("us", "UTC"),
        "tickets_sold": pl.Int64(),
        "gross": pl.Float64(),
        "currency": pl.String(),
    }
    return pl.DataFrame(
        [{**r, "gross": float(r["gross"]) if r.get("gross") is not None else None} for r in rows],
        schema=schema,
    )


def _file_milestones(conn: psycopg.Connection, show_ids: list[str], outcome: IngestOutcome) -> None:
    if not show_ids:
        return
    with conn.cursor(row_factory=dict_row) as cursor:
        facts = {r["show_id"]: r for r in cursor.execute(SHOW_FACTS, (show_ids,)).fetchall()}
    curves = pl.DataFrame(
        conn.execute(CURVES, (show_ids,)).fetchall(),
        schema=rules.CURVE_SCHEMA,
        orient="row",
    )
    capacities = pl.DataFrame(
        [(s, f["capacity"]) for s, f in facts.items()], schema=rules.CAPACITY_SCHEMA, orient="row"
    )
    reached = rules.milestones_reached(curves, capacities)
    filed = conn.execute(FILED, (show_ids,)).fetchall()
    conn.execute(
        EARLIER_REACHED,
        (
            reached["show_id"].to_list(),
            reached["milestone"].to_list(),
            reached["reached_at"].to_list(),
            reached["tickets_sold"].to_list(),
        ),
    )
    latest = dict(curves.group_by("show_id").agg(pl.col("observed_at").max()).iter_rows())
    statuses = {
        show_id: rules.show_status(
            fact["status"],
            fact["latest_sold"],
            fact["capacity"],
            fact["show_date"],
            latest.get(show_id),
        )
        for show_id, fact in facts.items()
    }
    # a played or cancelled show's data is stored, but files no milestone any more
    closed = [s for s, status in statuses.items() if status in rules.CLOSED_STATUSES]
    fresh = rules.new_milestones(reached, [(s, int(m)) for s, m in filed]).filter(
        ~pl.col("show_id").is_in(closed)
    )
    for (show_id,), group in fresh.group_by(["show_id"], maintain_order=True):
        fact = facts[str(show_id)]
        alert_id = _milestone_alert(conn, fact, group, outcome)
        for row in group.iter_rows(named=True):
            conn.execute(
                INSERT_MILESTONE,
                (show_id, row["milestone"], row["reached_at"], row["tickets_sold"], alert_id),
            )
            outcome.milestones_filed.append(
                {"show_id": show_id, "milestone": row["milestone"], "alert_id": alert_id}
            )
    for show_id, fact in facts.items():
        if statuses[show_id] != fact["status"]:
            conn.execute(SET_STATUS, (statuses[show_id], show_id))


def _milestone_alert(
    conn: psycopg.Connection, fact: dict[str, Any], group: pl.DataFrame, outcome: IngestOutcome
) -> int | None:
    """One alert for the milestones a show reached in this batch; None without a venue to
    route it to (the milestone is still recorded)."""
    milestones = [int(m) for m in group["milestone"].to_list()]
    show_id = str(fact["show_id"])
    if fact["organisation_id"] is None:
        outcome.unroutable.append(show_id)
        return None
    sold = int(group["tickets_sold"].max())  # type: ignore[arg-type]
    show = rules.ShowFacts(
        show_id, int(fact["capacity"]), fact["artist"], fact["venue"], fact["show_date"]
    )
    key = f"milestone:{show_id}:{'-'.join(str(m) for m in milestones)}"
    reached_at: dt.datetime = group["reached_at"].max()  # type: ignore[assignment]
    alert = Alert(
        alert_type="milestone",
        severity="info",
        subject=rules.milestone_subject(show, milestones, sold),
        dedupe_key=key,
        organisation_id=int(fact["organisation_id"]),
        evidence={
            "show_id": show_id,
            "venue_id": fact["venue_id"],
            "venue": fact["venue"],
            "artist": fact["artist"],
            "show_date": fact["show_date"].isoformat() if fact["show_date"] else None,
            "milestones": milestones,
            "tickets_sold": sold,
            "capacity": int(fact["capacity"]),
            "reached_at": reached_at.isoformat(),
        },
    )
    if file_alert(conn, alert):
        outcome.alerts_filed += 1
    row = conn.execute(ALERT_ID, (key,)).fetchone()
    return int(row[0]) if row else None
