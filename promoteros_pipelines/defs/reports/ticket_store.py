"""The ticketing figures the weekly report reads: an organisation's (or one venue's) tickets
sold in a week, sell-through of the shows still to play, milestones reached and shows at risk.

``ticket_sales`` holds cumulative counts per show, so a week's tickets are each show's count at
the week's end minus its count at the start (net of refunds); sell-through is that of the
shows still to play as of the week's end. Shows at risk come from the latest sell-through
refresh (``show_sell_through``), which is as of its ``computed_at``. The ticketing tables are
the ticketing area's; their reads for reports live here so that reports never import that
area (which files alerts, and the alerts area reaches reports).
"""

import datetime as dt

import polars as pl

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

# $1 organisation, $2 week start, $3 week end, $4 previous week start, $5 venue or NULL,
# $6 the week's last day + 1 (shows from then on are still to play at the week's end),
# $7 the week's first day (the same for the week before)
POINTS = """
WITH points AS (
    SELECT s.show_id, s.venue_id, s.capacity, s.show_date, s.status,
        (SELECT t.tickets_sold FROM promoteros.ticket_sales t WHERE t.show_id = s.show_id
            AND t.observed_at < $3 ORDER BY t.observed_at DESC LIMIT 1) AS at_end,
        (SELECT t.tickets_sold FROM promoteros.ticket_sales t WHERE t.show_id = s.show_id
            AND t.observed_at < $2 ORDER BY t.observed_at DESC LIMIT 1) AS at_start,
        (SELECT t.tickets_sold FROM promoteros.ticket_sales t WHERE t.show_id = s.show_id
            AND t.observed_at < $4 ORDER BY t.observed_at DESC LIMIT 1) AS at_previous
    FROM promoteros.shows s
    WHERE s.organisation_id = $1 AND ($5::bigint IS NULL OR s.venue_id = $5)
)
"""
TOTALS = (
    POINTS
    + """
SELECT {group}
       coalesce(sum(coalesce(at_end, 0) - coalesce(at_start, 0)), 0)::bigint AS sold,
       coalesce(sum(coalesce(at_start, 0) - coalesce(at_previous, 0)), 0)::bigint
           AS sold_before,
       count(*) FILTER (WHERE show_date >= $6 AND status <> 'cancelled')::bigint AS upcoming,
       sum(coalesce(at_end, 0)) FILTER (WHERE show_date >= $6 AND status <> 'cancelled')::bigint
           AS upcoming_sold,
       sum(capacity) FILTER (WHERE show_date >= $6 AND status <> 'cancelled')::bigint
           AS offered,
       sum(coalesce(at_start, 0)) FILTER (WHERE show_date >= $7 AND status <> 'cancelled')::bigint
           AS upcoming_sold_before,
       sum(capacity) FILTER (WHERE show_date >= $7 AND status <> 'cancelled')::bigint
           AS offered_before
FROM points
{group_by}
"""
)
MILESTONES = """
SELECT s.venue_id, coalesce(a.name, s.artist_name, 'Show ' || s.show_id) AS artist,
       s.show_date, m.milestone, m.reached_at, m.tickets_sold, s.capacity
FROM promoteros.show_milestones m
JOIN promoteros.shows s USING (show_id)
LEFT JOIN promoteros.artists a USING (artist_id)
WHERE s.organisation_id = $1 AND ($4::bigint IS NULL OR s.venue_id = $4)
  AND m.reached_at >= $2 AND m.reached_at < $3
ORDER BY m.reached_at, s.show_id, m.milestone
"""
UPCOMING = """
SELECT s.venue_id, coalesce(a.name, s.artist_name, 'Show ' || s.show_id) AS artist,
       s.show_date, st.sold, st.capacity, st.sell_through::float8 AS sell_through,
       st.forecast_sell_through::float8 AS forecast_sell_through,
       st.sellout_probability::float8 AS sellout_probability, st.at_risk, st.computed_at
FROM promoteros.show_sell_through st
JOIN promoteros.shows s USING (show_id)
LEFT JOIN promoteros.artists a USING (artist_id)
WHERE s.organisation_id = $1 AND ($2::bigint IS NULL OR s.venue_id = $2)
ORDER BY s.show_date, artist
"""


def _week_params(
    organisation_id: int,
    start: dt.datetime,
    end: dt.datetime,
    previous_start: dt.datetime,
    venue_id: int | None,
) -> list:
    return [
        organisation_id,
        start,
        end,
        previous_start,
        venue_id,
        end.date(),
        start.date(),
    ]


def week_totals(
    warehouse: PostgresWarehouse,
    organisation_id: int,
    start: dt.datetime,
    end: dt.datetime,
    previous_start: dt.datetime,
    venue_id: int | None = None,
) -> dict:
    """Tickets sold in [start, end) and the week before, and the sell-through of the shows
    still to play at each week's end (sold, offered), for the organisation or one venue."""
    query = TOTALS.format(group="", group_by="")
    params = _week_params(organisation_id, start, end, previous_start, venue_id)
    return warehouse.read_frame(query, params).row(0, named=True)


def venue_totals(
    warehouse: PostgresWarehouse,
    organisation_id: int,
    start: dt.datetime,
    end: dt.datetime,
    previous_start: dt.datetime,
) -> pl.DataFrame:
    """``week_totals`` per venue (one row per venue that has shows)."""
    query = TOTALS.format(group="venue_id,", group_by="GROUP BY venue_id")
    params = _week_params(organisation_id, start, end, previous_start, None)
    return warehouse.read_frame(query, params)


def milestones_reached(
    warehouse: PostgresWarehouse,
    organisation_id: int,
    start: dt.datetime,
    end: dt.datetime,
    venue_id: int | None = None,
) -> pl.DataFrame:
    """Milestones whose first observation at or above them fell in [start, end)."""
    return warehouse.read_frame(MILESTONES, [organisation_id, start, end, venue_id])


def upcoming_shows(
    warehouse: PostgresWarehouse, organisation_id: int, venue_id: int | None = None
) -> pl.DataFrame:
    """Every upcoming show in the latest sell-through refresh, soonest first."""
    return warehouse.read_frame(UPCOMING, [organisation_id, venue_id])
