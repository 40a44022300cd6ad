"""The SQL reads behind the weekly report: one organisation, one week and the week before.

Artists and viral events are shared by every organisation (the catalogue is global); booking
and ticketing figures are per organisation and venue. Tickets come from the ticketing tables
(through ``defs/reports/ticket_store.py``); bookings from ``booking_opportunities``, which
a later issue creates: until that table exists its tiles say "not connected yet" instead of
inventing a number, and they light up on the first report after the table appears
(expected columns in ``BOOKING_SQL``).
"""

import datetime as dt
from dataclasses import dataclass

import adbc_driver_manager
import polars as pl

from promoteros_pipelines.defs.reports import ticket_store as report_store
from promoteros_pipelines.defs.reports.periods import Week
from promoteros_pipelines.domain.report_kpis import Kpi, not_connected, share
from promoteros_pipelines.domain.wording import plural
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

ACCURACY_LOOKBACK = dt.timedelta(days=28)


class UnknownOrganisation(LookupError):
    """No organisation has this slug."""


@dataclass(frozen=True)
class Organisation:
    organisation_id: int
    slug: str
    name: str
    time_zone: str
    currency: str


def organisation(warehouse: PostgresWarehouse, slug: str) -> Organisation:
    frame = warehouse.read_frame(
        "SELECT organisation_id, slug, name, time_zone, currency"
        f" FROM {warehouse.qualified('organisations')} WHERE slug = $1",
        [slug],
    )
    if frame.is_empty():
        known = warehouse.read_frame(
            f"SELECT slug FROM {warehouse.qualified('organisations')} ORDER BY slug"
        )["slug"].to_list()
        raise UnknownOrganisation(
            f"no organisation with slug {slug!r}; known: {', '.join(known) or 'none loaded'}"
        )
    return Organisation(**frame.row(0, named=True))


def organisations(warehouse: PostgresWarehouse, time_zone: str | None = None) -> list[Organisation]:
    frame = warehouse.read_frame(
        "SELECT organisation_id, slug, name, time_zone, currency"
        f" FROM {warehouse.qualified('organisations')}"
        " WHERE $1::text IS NULL OR time_zone = $1 ORDER BY slug",
        [time_zone],
    )
    return [Organisation(**row) for row in frame.iter_rows(named=True)]


def venues(warehouse: PostgresWarehouse, organisation_id: int) -> pl.DataFrame:
    return warehouse.read_frame(
        "SELECT venue_id, slug, name, city, capacity, genres,"
        " typical_ticket_price::double precision AS typical_ticket_price"
        f" FROM {warehouse.qualified('venues')} WHERE organisation_id = $1 ORDER BY name",
        [organisation_id],
    )


def recipients(warehouse: PostgresWarehouse, organisation_id: int) -> pl.DataFrame:
    return warehouse.read_frame(
        "SELECT name, email, role, venue_id"
        f" FROM {warehouse.qualified('recipients')} WHERE organisation_id = $1 ORDER BY email",
        [organisation_id],
    )


def _count(warehouse: PostgresWarehouse, table: str, column: str, week: Week) -> int:
    frame = warehouse.read_frame(
        f"SELECT count(*) AS n FROM {warehouse.qualified(table)}"
        f" WHERE {column} >= $1 AND {column} < $2",
        [week.start, week.end],
    )
    return int(frame["n"][0])


def prediction_calls(warehouse: PostgresWarehouse, week: Week) -> tuple[int, int]:
    """(confirmed viral events of the 28 days before the week, those whose artist kept growing).

    "Kept growing": the artist's followers on the last momentum day before the week ends are
    above those on the day the event was detected.
    """
    momentum = warehouse.qualified("artist_momentum")
    frame = warehouse.read_frame(
        f"""
        SELECT count(*) AS calls,
               count(*) FILTER (WHERE after.followers > before.followers) AS kept_growing
        FROM {warehouse.qualified("viral_events")} e
        LEFT JOIN LATERAL (SELECT followers FROM {momentum} m
            WHERE m.artist_id = e.artist_id AND m.day <= (e.detected_at AT TIME ZONE 'UTC')::date
            ORDER BY m.day DESC LIMIT 1) before ON true
        LEFT JOIN LATERAL (SELECT followers FROM {momentum} m
            WHERE m.artist_id = e.artist_id AND m.day < $3
            ORDER BY m.day DESC LIMIT 1) after ON true
        WHERE e.status = 'confirmed' AND e.detected_at >= $1 AND e.detected_at < $2
        """,
        [week.start - ACCURACY_LOOKBACK, week.start, week.end.date()],
    )
    return int(frame["calls"][0]), int(frame["kept_growing"][0])


def _table_exists(warehouse: PostgresWarehouse, table: str) -> bool:
    frame = warehouse.read_frame("SELECT to_regclass($1)::text AS t", [f"promoteros.{table}"])
    return frame["t"][0] is not None


# ``booking_opportunities`` (migrations 0090, 0094): recommendations made in the week, those
# accepted in the week (the answer closes the row, so its last update is the acceptance), and
# the P50 expected gross of the week's recommendations (``projection->>'expected_gross'``).
BOOKING_SQL = """
SELECT count(*) FILTER (WHERE created_at >= $2 AND created_at < $3) AS made,
       count(*) FILTER (WHERE status = 'accepted' AND updated_at >= $2 AND updated_at < $3)
           AS accepted,
       coalesce(sum((projection->>'expected_gross')::float8)
           FILTER (WHERE created_at >= $2 AND created_at < $3), 0) AS gross,
       count(*) FILTER (WHERE created_at >= $4 AND created_at < $2) AS made_before,
       count(*) FILTER (WHERE status = 'accepted' AND updated_at >= $4 AND updated_at < $2)
           AS accepted_before,
       coalesce(sum((projection->>'expected_gross')::float8)
           FILTER (WHERE created_at >= $4 AND created_at < $2), 0) AS gross_before
FROM {table} WHERE organisation_id = $1 AND ($5::bigint IS NULL OR venue_id = $5)
"""


def _optional_source(
    warehouse: PostgresWarehouse,
    table: str,
    sql: str,
    params: list,
    tiles: tuple[tuple[str, str], ...],
) -> dict | list[Kpi]:
    """The one row ``sql`` reads from another issue's ``table``; or, when that table is not
    built yet or has an unexpected shape, honest "not connected yet" ``tiles`` (key, label)."""
    why = f"{table} is not built yet"
    if _table_exists(warehouse, table):
        try:
            return warehouse.read_frame(sql, params).row(0, named=True)
        except adbc_driver_manager.Error as error:
            why = f"{table} has an unexpected shape: {str(error).splitlines()[0]}"
    return [not_connected(key, label, why) for key, label in tiles]


def booking_kpis(
    warehouse: PostgresWarehouse, org: Organisation, week: Week, venue_id: int | None = None
) -> list[Kpi]:
    """Recommendations made and accepted and their expected gross, or honest "not connected
    yet" tiles."""
    made, accepted, gross = (
        ("bookings_made", "Booking recommendations made"),
        ("bookings_accepted", "Booking recommendations accepted"),
        ("bookings_expected_gross", f"Expected gross of new recommendations ({org.currency})"),
    )
    row = _optional_source(
        warehouse,
        "booking_opportunities",
        BOOKING_SQL.format(table=warehouse.qualified("booking_opportunities")),
        [org.organisation_id, week.start, week.end, week.previous().start, venue_id],
        (made, accepted, gross),
    )
    if isinstance(row, list):
        return row
    return [
        Kpi(*made, row["made"], row["made_before"]),
        Kpi(*accepted, row["accepted"], row["accepted_before"]),
        Kpi(*gross, row["gross"], row["gross_before"], note="P50 of each projection"),
    ]


def ticket_kpis(
    warehouse: PostgresWarehouse, org: Organisation, week: Week, venue_id: int | None = None
) -> list[Kpi]:
    """Tickets sold this week and sell-through of the shows still to play, from the ticketing
    tables (``defs/reports/ticket_store.py``)."""
    row = report_store.week_totals(
        warehouse, org.organisation_id, week.start, week.end, week.previous().start, venue_id
    )
    return [
        Kpi("tickets_sold", "Tickets sold", row["sold"], row["sold_before"]),
        Kpi(
            "sell_through",
            "Sell-through",
            share(row["upcoming_sold"], row["offered"]),
            share(row["upcoming_sold_before"], row["offered_before"]),
            unit="percent",
            note="of the shows still to play, as of the week's end",
        ),
    ]


def catalogue_kpis(warehouse: PostgresWarehouse, week: Week) -> list[Kpi]:
    """New artists tracked, viral events found, and last month's calls that held up."""
    previous = week.previous()
    calls, kept = prediction_calls(warehouse, week)
    calls_before, kept_before = prediction_calls(warehouse, previous)
    return [
        Kpi(
            "new_artists",
            "New artists tracked",
            _count(warehouse, "artists", "first_seen_at", week),
            _count(warehouse, "artists", "first_seen_at", previous),
        ),
        Kpi(
            "viral_events",
            "Viral events found",
            _count(warehouse, "viral_events", "detected_at", week),
            _count(warehouse, "viral_events", "detected_at", previous),
        ),
        Kpi(
            "prediction_accuracy",
            "Prediction accuracy (last month's calls)",
            share(kept, calls),
            share(kept_before, calls_before),
            unit="percent",
            note=f"{kept} of {plural(calls, 'confirmed viral call')} kept growing"
            if calls
            else "no confirmed viral calls in the 4 weeks before to check",
            empty="no calls yet",
        ),
    ]


COUNTED = (
    ("New artists tracked", "artists", "first_seen_at"),
    ("Viral events found", "viral_events", "detected_at"),
)


def daily_counts(warehouse: PostgresWarehouse, week: Week) -> dict[str, list[int]]:
    """New artists and viral events per local day of the week (for the trend chart)."""
    out: dict[str, list[int]] = {}
    for name, table, column in COUNTED:
        frame = warehouse.read_frame(
            f"SELECT ({column} AT TIME ZONE $3)::date AS day, count(*) AS n"
            f" FROM {warehouse.qualified(table)} WHERE {column} >= $1 AND {column} < $2"
            " GROUP BY 1",
            [week.start, week.end, week.time_zone],
        )
        by_day = dict(zip(frame["day"].to_list(), frame["n"].to_list(), strict=True))
        out[name] = [int(by_day.get(day, 0)) for day in week.days]
    return out


def weekly_counts(
    warehouse: PostgresWarehouse, week: Week, weeks: int = 8
) -> tuple[list[Week], dict[str, list[int]]]:
    """New artists and viral events per local week, for the ``weeks`` weeks ending with ``week``."""
    periods = [week]
    while len(periods) < weeks:
        periods.insert(0, periods[0].previous())
    out: dict[str, list[int]] = {}
    for name, table, column in COUNTED:
        frame = warehouse.read_frame(
            f"SELECT date_trunc('week', {column} AT TIME ZONE $3)::date AS monday,"
            f" count(*) AS n FROM {warehouse.qualified(table)}"
            f" WHERE {column} >= $1 AND {column} < $2 GROUP BY 1",
            [periods[0].start, week.end, week.time_zone],
        )
        by_week = dict(zip(frame["monday"].to_list(), frame["n"].to_list(), strict=True))
        out[name] = [int(by_week.get(period.monday, 0)) for period in periods]
    return periods, out


# the strongest signal of each event: its numbers make the plain-English "what happened"
VIRAL_EVENTS_SQL = """
SELECT e.event_id, e.artist_id, a.name AS artist, a.genres AS artist_genres, e.detected_at,
       e.status, e.confirmed_by, array_to_string(e.platforms, ',') AS platforms,
       e.peak_strength, e.max_probability, e.explanation,
       s.signal_type, s.platform, s.metric, s.value_before, s.value_after, s.growth,
       s.baseline, s.ratio, s.robust_z, s.platforms AS signal_platforms
FROM {events} e
JOIN {artists} a USING (artist_id)
LEFT JOIN LATERAL (
    SELECT * FROM {signals} s
    WHERE s.artist_id = e.artist_id AND s.detected_at >= e.window_start
      AND s.detected_at <= e.last_signal_at
    ORDER BY s.strength DESC, s.detected_at LIMIT 1
) s ON true
WHERE e.detected_at >= $1 AND e.detected_at < $2 AND ($3::boolean OR e.status <> 'dismissed')
ORDER BY e.peak_strength DESC, e.detected_at, e.event_id
"""


def viral_events_between(
    warehouse: PostgresWarehouse,
    start: dt.datetime,
    end: dt.datetime,
    *,
    include_dismissed: bool = True,
) -> pl.DataFrame:
    """Viral events detected in [start, end), strongest first, each with its artist's name and
    genres and the numbers of its strongest signal (null columns when none is kept)."""
    sql = VIRAL_EVENTS_SQL.format(
        events=warehouse.qualified("viral_events"),
        artists=warehouse.qualified("artists"),
        signals=warehouse.qualified("viral_signals"),
    )
    return warehouse.read_frame(sql, [start, end, include_dismissed])


def viral_events(warehouse: PostgresWarehouse, week: Week) -> pl.DataFrame:
    return viral_events_between(warehouse, week.start, week.end)


def new_artists(warehouse: PostgresWarehouse, week: Week) -> pl.DataFrame:
    return warehouse.read_frame(
        "SELECT name, source, coalesce(discovery_reason, '') AS reason, first_seen_at,"
        " array_to_string(genres, ', ') AS genres"
        f" FROM {warehouse.qualified('artists')}"
        " WHERE first_seen_at >= $1 AND first_seen_at < $2 ORDER BY first_seen_at",
        [week.start, week.end],
    )


def artist_genre_names(warehouse: PostgresWarehouse) -> list[str]:
    """Every genre name stored on an artist (a few hundred at most), to match venues against."""
    frame = warehouse.read_frame(
        f"SELECT DISTINCT unnest(genres) AS genre FROM {warehouse.qualified('artists')}"
    )
    return frame["genre"].to_list() if frame.height else []


def top_momentum(
    warehouse: PostgresWarehouse, week: Week, genres: list[str] | None = None, limit: int = 10
) -> pl.DataFrame:
    """Artists with the highest momentum on the last scored day before the week ends;
    with ``genres`` (stored genre names, see ``domain.genres.fitting_genres``) only artists
    carrying one of them."""
    return warehouse.read_frame(
        f"""
        WITH latest AS (
            SELECT max(day) AS day FROM {warehouse.qualified("artist_momentum")} WHERE day < $1
        )
        SELECT a.name AS artist, m.momentum_score, m.growth_7d, m.followers, m.lead_platform,
               m.peer_growth_median, a.genres AS artist_genres,
               array_to_string(a.genres, ', ') AS genres
        FROM {warehouse.qualified("artist_momentum")} m
        JOIN latest USING (day)
        JOIN {warehouse.qualified("artists")} a USING (artist_id)
        WHERE m.momentum_score IS NOT NULL AND ($2::text[] IS NULL OR a.genres && $2::text[])
        ORDER BY m.momentum_score DESC, a.name LIMIT $3
        """,
        [week.end.date(), genres, limit],
    )
