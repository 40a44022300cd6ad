"""Ticket sales rules: refunds on a cumulative curve, milestones, sell-through and its forecast.

A ticketing system reports a show's *cumulative* tickets sold at moments (``observed_at``).
Observations arrive late, twice and out of order, so every rule here reads the whole curve
ordered by ``observed_at``, never the arrival order:

* a point lower than an earlier point is a refund: kept, flagged, with the peak before it;
* a milestone (50, 75, 90 % and sold out) is reached at the first observation whose count is
  at or above it, compared in integers (``sold * 100 >= milestone * capacity``), so 49.9 % is
  not 50 % however floats round;
* the milestones a show reaches that were not filed before are filed together, one alert.

Pure polars: no database, no Dagster (the layout rule for ``domain``).
"""

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

MILESTONES = (50, 75, 90, 100)
SHOW_STATUSES = ("announced", "on_sale", "sold_out", "played", "cancelled")
CLOSED_STATUSES = ("played", "cancelled")
"""Shows whose sales are over: no sell-through, milestone or risk alert is computed for them."""
CURVE_SCHEMA = pl.Schema(
    {
        "show_id": pl.String(),
        "observed_at": pl.Datetime("us", "UTC"),
        "tickets_sold": pl.Int64(),
    }
)
CAPACITY_SCHEMA = pl.Schema({"show_id": pl.String(), "capacity": pl.Int64()})
REACHED_SCHEMA = pl.Schema(
    {
        "show_id": pl.String(),
        "milestone": pl.Int16(),
        "reached_at": pl.Datetime("us", "UTC"),
        "tickets_sold": pl.Int64(),
    }
)


class ShowRefused(ValueError):
    """A show whose sales cannot be stored as they are; the message names the show."""


def require_capacity(show_id: str, capacity: int | None) -> int:
    """The show's capacity, or ``ShowRefused`` naming the show: without it no percentage,
    milestone or forecast means anything."""
    if capacity is None or capacity <= 0:
        raise ShowRefused(
            f"show {show_id!r} has no capacity: send 'capacity' (> 0) with its first "
            "ticketing.sales event, or pull it from the ticketing API"
        )
    return int(capacity)


def milestone_label(milestone: int) -> str:
    return "sold out" if milestone == 100 else f"{milestone} %"


def flag_refunds(curve: pl.DataFrame) -> pl.DataFrame:
    """``curve`` with ``peak_before`` (the highest count observed earlier, null for the first
    point) and ``refund`` (this point is lower than that peak)."""
    ordered = curve.sort(["show_id", "observed_at"])
    return ordered.with_columns(
        pl.col("tickets_sold").cum_max().shift(1).over("show_id").alias("peak_before")
    ).with_columns(
        (pl.col("tickets_sold") < pl.col("peak_before")).fill_null(False).alias("refund")
    )


def milestones_reached(curve: pl.DataFrame, capacities: pl.DataFrame) -> pl.DataFrame:
    """Per (show, milestone) reached: the first observation at or above it (``REACHED_SCHEMA``).

    A refund dip changes nothing here: the earlier observation above the milestone stays the
    first. An observation that arrives late but happened earlier moves ``reached_at`` earlier.
    """
    if curve.is_empty():
        return pl.DataFrame(schema=REACHED_SCHEMA)
    marks = pl.DataFrame({"milestone": list(MILESTONES)}, schema={"milestone": pl.Int16()})
    joined = (
        curve.cast(CURVE_SCHEMA)
        .join(capacities.cast(CAPACITY_SCHEMA), on="show_id")
        .join(marks, how="cross")
        .filter(
            pl.col("tickets_sold") * 100 >= pl.col("milestone").cast(pl.Int64) * pl.col("capacity")
        )
        .sort(["show_id", "milestone", "observed_at"])
        .group_by(["show_id", "milestone"], maintain_order=True)
        .first()
        .rename({"observed_at": "reached_at"})
    )
    return joined.select(list(REACHED_SCHEMA)).cast(REACHED_SCHEMA)


def new_milestones(reached: pl.DataFrame, filed: Iterable[tuple[str, int]]) -> pl.DataFrame:
    """The reached milestones not filed before (``filed``: (show_id, milestone) pairs)."""
    done = pl.DataFrame(
        list(filed), schema={"show_id": pl.String(), "milestone": pl.Int16()}, orient="row"
    )
    return reached.join(done, on=["show_id", "milestone"], how="anti").sort(
        ["show_id", "milestone"]
    )


@dataclass(frozen=True)
class ShowFacts:
    """What a person needs to recognise a show in an alert."""

    show_id: str
    capacity: int
    artist: str | None = None
    venue: str | None = None
    show_date: dt.date | None = None


def show_title(show: ShowFacts) -> str:
    who = show.artist or f"Show {show.show_id}"
    where = f" at {show.venue}" if show.venue else ""
    when = f" on {show.show_date:%a %d %b %Y}" if show.show_date else ""
    return f"{who}{where}{when}"


def milestone_subject(show: ShowFacts, milestones: Sequence[int], tickets_sold: int) -> str:
    """``Nova at The Leadmill on Fri 12 Dec 2025: 50 %, 75 % and 90 % sold (955 of 1,000)``."""
    ordered = sorted(milestones)
    sold_out = 100 in ordered
    parts = [milestone_label(m) for m in ordered if m != 100]
    reached = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + (parts[-1:] or [""])[0]
    if sold_out and parts:
        text = f"{reached} sold, now sold out"
    elif sold_out:
        text = "sold out"
    else:
        text = f"{reached} sold"
    return f"{show_title(show)}: {text} ({tickets_sold:,} of {show.capacity:,})"


def show_status(
    current: str | None,
    latest_sold: int | None,
    capacity: int,
    show_date: dt.date | None = None,
    latest_observed: dt.datetime | None = None,
) -> str:
    """Status after new sales: played and cancelled shows keep theirs; a show whose date is
    before the day of its latest observation has been played (a pull after the show, or a
    late report); otherwise sold out at capacity (by the latest observation, so a refund below
    capacity re-opens sales)."""
    if current in CLOSED_STATUSES:
        return current
    known = show_date is not None and latest_observed is not None
    if known and show_date < latest_observed.date():  # type: ignore[operator,union-attr]
        return "played"
    if latest_sold is None:
        return current or "announced"
    return "sold_out" if latest_sold >= capacity else "on_sale"


def sellout_forecast(
    sold: int,
    capacity: int,
    velocity_7d: float,
    now: dt.datetime,
    show_start: dt.datetime | None,
    expected_final_share: float | None = None,
) -> tuple[dt.date | None, float, float]:
    """(sell-out date or None, probability of selling out, forecast final sell-through).

    The curve so far projects the last week's pace to the show; when a demand model's expected
    final share is known the two are averaged (the model knows what similar shows did, the
    curve what this one does). The probability is a logistic of the forecast's distance to
    capacity, widened by the time left (more days, more uncertainty).
    """
    if sold >= capacity:
        return now.date(), 1.0, 1.0
    hours_left = max((show_start - now).total_seconds() / 3600, 0.0) if show_start else 0.0
    projected = min(sold + velocity_7d * hours_left, float(capacity) * 1.5) / capacity
    forecast = projected
    if expected_final_share is not None:
        forecast = (projected + max(expected_final_share, sold / capacity)) / 2
    spread = 0.05 + 0.1 * math.sqrt(hours_left / 24 / 30)
    probability = 1 / (1 + math.exp(-(forecast - 1.0) / spread))
    date = None
    if velocity_7d > 0:
        eta = now + dt.timedelta(hours=(capacity - sold) / velocity_7d)
        if show_start is None or eta <= show_start:
            date = eta.date()
    return date, round(probability, 4), round(min(forecast, 1.0), 4)


def at_risk(
    forecast_share: float, days_to_show: float | None, *, level: float, days_out: float
) -> bool:
    """A show is at risk when it is ``days_out`` days away or nearer and its forecast final
    sell-through is below ``level`` (defaults 60 % at 14 days)."""
    if days_to_show is None or days_to_show < 0:
        return False
    return days_to_show <= days_out and forecast_share < level


SELL_THROUGH_SCHEMA = pl.Schema(
    {
        "show_id": pl.String(),
        "organisation_id": pl.Int64(),
        "venue_id": pl.Int64(),
        "sold": pl.Int64(),
        "capacity": pl.Int64(),
        "sell_through": pl.Float64(),
        "gross": pl.Float64(),
        "velocity_24h": pl.Float64(),
        "velocity_7d": pl.Float64(),
        "days_to_show": pl.Int64(),
        "forecast_sell_through": pl.Float64(),
        "sellout_date": pl.Date(),
        "sellout_probability": pl.Float64(),
        "at_risk": pl.Boolean(),
    }
)
SHOW_HOUR = dt.time(20)  # doors: a show date is taken as 20:00 UTC for hours left


def _count_at(curve: pl.DataFrame, shows: pl.DataFrame, moment: dt.datetime) -> pl.DataFrame:
    """Each show's cumulative count at ``moment`` (its last point at or before it, else 0)."""
    probe = shows.select("show_id").with_columns(
        pl.lit(moment).cast(pl.Datetime("us", "UTC")).alias("observed_at")
    )
    return probe.sort("observed_at").join_asof(
        curve.sort("observed_at"),
        on="observed_at",
        by="show_id",
        strategy="backward",
        check_sortedness=False,  # sorted above; polars cannot verify it within groups
    )


def sell_through(
    shows: pl.DataFrame,
    curve: pl.DataFrame,
    now: dt.datetime,
    *,
    risk_level: float = 0.6,
    risk_days: float = 14,
    expected: dict[str, float] | None = None,
) -> pl.DataFrame:
    """Per show (``SELL_THROUGH_SCHEMA``): sold and gross at ``now``, sell-through, velocity
    (tickets per hour over the last 24 h and 7 days, net of refunds), days to show, and the
    sell-out forecast (``sellout_forecast``; ``expected`` holds a demand model's final share
    per show when one is known) and whether the show is at risk.

    ``shows``: show_id, organisation_id, venue_id, capacity, show_date; ``curve``: show_id,
    observed_at, tickets_sold, gross (all points; those after ``now`` are ignored).
    """
    if shows.is_empty():
        return pl.DataFrame(schema=SELL_THROUGH_SCHEMA)
    past = curve.filter(pl.col("observed_at") <= now).select(
        "show_id", "observed_at", pl.col("tickets_sold").cast(pl.Int64), "gross"
    )
    latest = _count_at(past, shows, now).select(
        "show_id",
        pl.col("tickets_sold").fill_null(0).alias("sold"),
        pl.col("gross"),
    )
    day = _count_at(past, shows, now - dt.timedelta(hours=24)).select(
        "show_id", pl.col("tickets_sold").fill_null(0).alias("sold_24h_ago")
    )
    week = _count_at(past, shows, now - dt.timedelta(days=7)).select(
        "show_id", pl.col("tickets_sold").fill_null(0).alias("sold_7d_ago")
    )
    frame = (
        shows.join(latest, on="show_id", how="left")
        .join(day, on="show_id", how="left")
        .join(week, on="show_id", how="left")
        .with_columns(
            ((pl.col("sold") - pl.col("sold_24h_ago")) / 24).alias("velocity_24h"),
            ((pl.col("sold") - pl.col("sold_7d_ago")) / (24 * 7)).alias("velocity_7d"),
            (pl.col("sold") / pl.col("capacity")).alias("sell_through"),
            (pl.col("show_date") - pl.lit(now.date())).dt.total_days().alias("days_to_show"),
        )
    )
    forecasts = []
    for row in frame.iter_rows(named=True):
        start = (
            dt.datetime.combine(row["show_date"], SHOW_HOUR, dt.UTC) if row["show_date"] else None
        )
        date, probability, share = sellout_forecast(
            int(row["sold"]),
            int(row["capacity"]),
            float(row["velocity_7d"]),
            now,
            start,
            (expected or {}).get(row["show_id"]),
        )
        risky = at_risk(share, row["days_to_show"], level=risk_level, days_out=risk_days)
        forecasts.append((row["show_id"], share, date, probability, risky))
    extra = pl.DataFrame(
        forecasts,
        schema={
            "show_id": pl.String(),
            "forecast_sell_through": pl.Float64(),
            "sellout_date": pl.Date(),
            "sellout_probability": pl.Float64(),
            "at_risk": pl.Boolean(),
        },
        orient="row",
    )
    return (
        frame.join(extra, on="show_id").select(list(SELL_THROUGH_SCHEMA)).cast(SELL_THROUGH_SCHEMA)
    )


def risk_subject(show: ShowFacts, forecast_share: float, days_to_show: int, level: float) -> str:
    """``Nova at Roundhouse on ...: forecast 41 % sold by the show, 12 days out (below 60 %)``;
    "1 day out", and "the show is today" rather than "0 days out"."""
    when = {0: "the show is today", 1: "1 day out"}.get(days_to_show, f"{days_to_show} days out")
    return (
        f"{show_title(show)}: forecast {forecast_share:.0%} sold by the show, "
        f"{when} (below {level:.0%})"
    )
