"""SQL of the sell-through refresh: read every show and its curve, replace the table, file
one risk alert per show at risk."""

import datetime as dt
from typing import Any

import polars as pl
from psycopg.rows import dict_row

from promoteros_pipelines.defs.alerts.store import Alert, file_alert
from promoteros_pipelines.defs.ticketing.bulk import copy_frame
from promoteros_pipelines.domain import ticketing as rules
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

SHOWS = """
SELECT s.show_id, s.organisation_id, s.venue_id, s.capacity::bigint AS capacity, s.show_date,
       coalesce(a.name, s.artist_name) AS artist, v.name AS venue
FROM promoteros.shows s
LEFT JOIN promoteros.venues v USING (venue_id)
LEFT JOIN promoteros.artists a USING (artist_id)
WHERE s.status NOT IN ('played', 'cancelled')
"""
CURVE = """
SELECT t.show_id, t.observed_at, t.tickets_sold::bigint AS tickets_sold,
       t.gross::float8 AS gross
FROM promoteros.ticket_sales t JOIN promoteros.shows s USING (show_id)
WHERE s.status NOT IN ('played', 'cancelled') AND t.observed_at <= $1
"""
COLUMNS = list(rules.SELL_THROUGH_SCHEMA)
# A show is played once its date is behind ``now``'s date; cancelled shows keep their status.
MARK_PLAYED = """
UPDATE promoteros.shows SET status = 'played', updated_at = now()
WHERE show_date < %s AND status NOT IN ('played', 'cancelled')
"""


def mark_played(warehouse: PostgresWarehouse, today: dt.date) -> int:
    """Move shows dated before ``today`` to ``played`` (their sell-through is final, and no
    milestone or risk alert is filed for them any more); returns how many moved."""
    return warehouse.execute(MARK_PLAYED, (today,))


def read_inputs(
    warehouse: PostgresWarehouse, now: dt.datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    shows = warehouse.read_frame(SHOWS)
    curve = warehouse.read_frame(CURVE, [now])
    return shows, curve


def write_sell_through(
    warehouse: PostgresWarehouse,
    frame: pl.DataFrame,
    shows: pl.DataFrame,
    now: dt.datetime,
    risk_level: float,
) -> tuple[int, list[str]]:
    """Replace ``show_sell_through`` with ``frame`` and file a risk alert (once per show) for
    each show at risk; returns (rows written, show ids newly alerted)."""
    facts = {row["show_id"]: row for row in shows.iter_rows(named=True)}
    alerted: list[str] = []
    with warehouse.connect() as conn:
        conn.execute("DELETE FROM promoteros.show_sell_through")
        copy_frame(
            conn,
            "promoteros.show_sell_through",
            frame.select(COLUMNS).with_columns(pl.lit(now).alias("computed_at")),
        )
        for row in frame.filter(pl.col("at_risk")).iter_rows(named=True):
            fact = facts[row["show_id"]]
            if fact["organisation_id"] is None:
                continue
            if file_alert(conn, _risk_alert(row, fact, risk_level)):
                alerted.append(row["show_id"])
    return frame.height, alerted


def _risk_alert(row: dict[str, Any], fact: dict[str, Any], level: float) -> Alert:
    show = rules.ShowFacts(
        row["show_id"], int(row["capacity"]), fact["artist"], fact["venue"], fact["show_date"]
    )
    return Alert(
        alert_type="risk",
        severity="warning",
        subject=rules.risk_subject(
            show, row["forecast_sell_through"], int(row["days_to_show"]), level
        ),
        dedupe_key=f"risk:{row['show_id']}",
        organisation_id=int(fact["organisation_id"]),
        evidence={
            "show_id": row["show_id"],
            "venue_id": fact["venue_id"],
            "venue": fact["venue"],
            "artist": fact["artist"],
            "sold": int(row["sold"]),
            "capacity": int(row["capacity"]),
            "forecast_sell_through": round(float(row["forecast_sell_through"]), 3),
            "days_to_show": int(row["days_to_show"]),
            "risk_level": level,
        },
    )


def read_rollup(warehouse: PostgresWarehouse, view: str) -> list[dict[str, Any]]:
    with warehouse.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(f"SELECT * FROM promoteros.{view} ORDER BY 1").fetchall()
