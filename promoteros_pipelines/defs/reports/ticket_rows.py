"""The weekly report's ticket sales section: per venue for the executive and ops reports, per
show for a venue's own report (tables drawn by the ``table`` macro, as in ``rows.py``)."""

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from promoteros_pipelines.defs.reports import ticket_store as report_store
from promoteros_pipelines.defs.reports.periods import Week
from promoteros_pipelines.defs.reports.rows import column, local_time
from promoteros_pipelines.domain.ticketing import milestone_label
from promoteros_pipelines.domain.wording import percent, plural
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

VENUE_SALES_COLUMNS = [
    column("venue", "Venue", width="24%"),
    column("sold", "Tickets this week", num=True),
    column("sold_before", "Last week", num=True),
    column("upcoming", "Shows to play", num=True),
    column("sell_through", "Sold of those", num=True),
    column("milestones", "Milestones this week", num=True),
    column("at_risk", "Shows at risk", num=True),
]
SHOW_COLUMNS = [
    column("artist", "Artist", width="20%"),
    column("date", "Show", width="19%", nowrap=True),
    column("sold", "Sold", num=True, width="15%"),
    column("sell_through", "Sell-through", num=True),
    column("forecast", "Forecast by the show", num=True),
    column("sellout", "Chance of selling out", num=True),
    column("risk", "At risk"),
]
MILESTONE_COLUMNS = [
    column("artist", "Artist", width="24%"),
    column("venue", "Venue", width="22%"),
    column("date", "Show", nowrap=True),
    column("milestone", "Milestone"),
    column("reached", "Reached", nowrap=True),
]
COLUMNS = {"venues": VENUE_SALES_COLUMNS, "shows": SHOW_COLUMNS, "milestones": MILESTONE_COLUMNS}
SHOWS_LISTED = 25


@dataclass
class TicketSection:
    """What the template draws: per-venue rows (or a venue's shows), milestones, a note.
    Handed to the templates as a plain dict (``asdict``), as render workers unpickle it."""

    venues: list[dict[str, Any]] = field(default_factory=list)
    shows: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    empty: str = "No show of this organisation has ticket sales yet."


def _show_date(value: dt.date | None) -> str:
    return f"{value:%a %d %b %Y}" if value else ""


def _share(sold: int | None, offered: int | None) -> str:
    return percent(sold / offered, signed=False) if sold is not None and offered else "none yet"


def _milestone_rows(frame: pl.DataFrame, names: dict[int, str], zone: str) -> list[dict]:
    return [
        {
            "artist": row["artist"],
            "venue": names.get(row["venue_id"], ""),
            "date": _show_date(row["show_date"]),
            "milestone": milestone_label(int(row["milestone"]))
            + f" ({row['tickets_sold']:,} of {row['capacity']:,})",
            "reached": local_time(row["reached_at"], zone),
        }
        for row in frame.iter_rows(named=True)
    ]


def _refresh_note(upcoming: pl.DataFrame, zone: str) -> str:
    if upcoming.is_empty():
        return "No sell-through refresh has run yet, so no forecast or risk is shown."
    computed: dt.datetime = upcoming["computed_at"].max()  # type: ignore[assignment]
    return (
        "Tickets are net of refunds; sell-through counts the shows still to play at the week's "
        "end. Forecasts and risk come from the latest sell-through refresh "
        f"({local_time(computed, zone)}): a show is at risk when its forecast is below the "
        "risk level within the risk window before it (60 % at 14 days unless set otherwise)."
    )


def organisation_section(
    warehouse: PostgresWarehouse, organisation_id: int, week: Week, venues: pl.DataFrame
) -> dict[str, Any]:
    """One row per venue of the organisation that has shows, busiest this week first."""
    zone = str(week.start.tzinfo)
    names = dict(zip(venues["venue_id"].to_list(), venues["name"].to_list(), strict=True))
    totals = report_store.venue_totals(
        warehouse, organisation_id, week.start, week.end, week.previous().start
    )
    milestones = report_store.milestones_reached(warehouse, organisation_id, week.start, week.end)
    upcoming = report_store.upcoming_shows(warehouse, organisation_id)
    reached = milestones.group_by("venue_id").len() if milestones.height else None
    risky = upcoming.filter(pl.col("at_risk")).group_by("venue_id").len()
    counts = {
        "milestones": dict(reached.iter_rows()) if reached is not None else {},
        "at_risk": dict(risky.iter_rows()),
    }
    rows = [
        {
            "venue": names.get(row["venue_id"], "Venue not matched"),
            "sold": f"{row['sold']:,}",
            "sold_before": f"{row['sold_before']:,}",
            "upcoming": f"{row['upcoming']:,}",
            "sell_through": _share(row["upcoming_sold"], row["offered"]),
            "milestones": f"{counts['milestones'].get(row['venue_id'], 0):,}",
            "at_risk": f"{counts['at_risk'].get(row['venue_id'], 0):,}",
            "_order": (-row["sold"], names.get(row["venue_id"], "")),
        }
        for row in totals.iter_rows(named=True)
    ]
    rows.sort(key=lambda r: r.pop("_order"))
    return asdict(
        TicketSection(
            venues=rows,
            milestones=_milestone_rows(milestones, names, zone),
            note=_refresh_note(upcoming, zone),
        )
    )


def venue_section(
    warehouse: PostgresWarehouse, organisation_id: int, week: Week, venue: dict[str, Any]
) -> dict[str, Any]:
    """The venue's upcoming shows (soonest first) and the milestones they reached this week."""
    zone = str(week.start.tzinfo)
    upcoming = report_store.upcoming_shows(warehouse, organisation_id, venue["venue_id"])
    milestones = report_store.milestones_reached(
        warehouse, organisation_id, week.start, week.end, venue["venue_id"]
    )
    shows = [
        {
            "artist": row["artist"],
            "date": _show_date(row["show_date"]),
            "sold": f"{row['sold']:,} of {row['capacity']:,}",
            "sell_through": percent(row["sell_through"], signed=False),
            "forecast": percent(row["forecast_sell_through"], signed=False),
            "sellout": percent(row["sellout_probability"], signed=False),
            "risk": "at risk" if row["at_risk"] else "",
        }
        for row in upcoming.head(SHOWS_LISTED).iter_rows(named=True)
    ]
    note = _refresh_note(upcoming, zone)
    if upcoming.height > SHOWS_LISTED:
        note += f" The {SHOWS_LISTED} soonest of {plural(upcoming.height, 'upcoming show')}."
    return asdict(
        TicketSection(
            shows=shows,
            milestones=_milestone_rows(milestones, {venue["venue_id"]: venue["name"]}, zone),
            note=note,
            empty=f"{venue['name']} has no upcoming show with ticket sales.",
        )
    )
