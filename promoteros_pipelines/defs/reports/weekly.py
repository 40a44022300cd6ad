"""The weekly executive report set for one organisation: executive, ops, and one per venue.

Data is read once per organisation and shared by the variants; only the venue pages read
their own booking, ticketing and genre-matched momentum figures.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import Week
from promoteros_pipelines.domain.report_kpis import Kpi, run_success_rate
from promoteros_pipelines.rendering.work import (
    EXECUTIVE,
    OPS,
    VENUE,
    RenderedReport,
    ReportJob,
    momentum_chart,
    render_jobs,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

# which recipient roles get which variant (venue managers: their own venue's report)
ROLE_RECIPIENTS = {EXECUTIVE: ("exec",), OPS: ("ops", "analyst"), VENUE: ("venue_manager",)}

EVENT_COLUMNS = [
    {"key": "artist", "title": "Artist", "num": False},
    {"key": "detected", "title": "Detected", "num": False},
    {"key": "status", "title": "Status", "num": False},
    {"key": "platforms", "title": "Platforms", "num": False},
    {"key": "strength", "title": "Peak strength", "num": True},
    {"key": "explanation", "title": "Why", "num": False},
]
ARTIST_COLUMNS = [
    {"key": "name", "title": "Artist", "num": False},
    {"key": "first_seen", "title": "First seen", "num": False},
    {"key": "source", "title": "Source", "num": False},
    {"key": "genres", "title": "Genres", "num": False},
    {"key": "reason", "title": "Why tracked", "num": False},
]
MOMENTUM_COLUMNS = [
    {"key": "artist", "title": "Artist", "num": False},
    {"key": "score", "title": "Momentum (0-100)", "num": True},
    {"key": "growth", "title": "Followers 7 d", "num": True},
    {"key": "followers", "title": "Followers", "num": True},
    {"key": "lead_platform", "title": "Lead platform", "num": False},
    {"key": "genres", "title": "Genres", "num": False},
]
RUN_COLUMNS = [
    {"key": "job", "title": "Job", "num": False},
    {"key": "SUCCESS", "title": "Succeeded", "num": True},
    {"key": "FAILURE", "title": "Failed", "num": True},
    {"key": "CANCELED", "title": "Cancelled", "num": True},
]


@dataclass(frozen=True)
class RunStats:
    """(job name, status) of the Dagster runs created in the week and the week before."""

    this_week: list[tuple[str, str]] = field(default_factory=list)
    previous: list[tuple[str, str]] = field(default_factory=list)
    available: bool = True


def _local(value: dt.datetime | None, time_zone: str) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(time_zone)).strftime("%a %d %b %H:%M")


def _event_rows(frame: pl.DataFrame, time_zone: str) -> list[dict[str, Any]]:
    return [
        {
            "artist": row["artist"],
            "detected": _local(row["detected_at"], time_zone),
            "status": row["status"],
            "platforms": row["platforms"],
            "strength": f"{row['peak_strength']:.2f}",
            "explanation": row["explanation"],
        }
        for row in frame.iter_rows(named=True)
    ]


def _momentum_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "artist": row["artist"],
            "score": f"{row['momentum_score']:.0f}",
            "growth": "" if row["growth_7d"] is None else f"{row['growth_7d'] * 100:+.1f}%",
            "followers": "" if row["followers"] is None else f"{row['followers']:,.0f}",
            "lead_platform": row["lead_platform"] or "",
            "genres": row["genres"] or "",
        }
        for row in frame.iter_rows(named=True)
    ]


def _chart_args(frame: pl.DataFrame, title: str) -> tuple[list[str], list[float], str] | None:
    if frame.is_empty():
        return None
    return frame["artist"].to_list(), frame["momentum_score"].to_list(), title


def pipeline_kpi(runs: RunStats) -> tuple[Kpi, str, list[dict[str, Any]]]:
    """The success-rate tile, a one-line summary and a per-job table."""
    rate, finished = run_success_rate([s for _, s in runs.this_week])
    before, _ = run_success_rate([s for _, s in runs.previous])
    if not runs.available:
        kpi = Kpi(
            "pipeline_success",
            "Pipeline success rate",
            None,
            None,
            unit="percent",
            note="Dagster run history was not available",
            connected=False,
        )
        return kpi, "Dagster run history was not available for this rendering.", []
    note = f"{finished} finished runs"
    kpi = Kpi("pipeline_success", "Pipeline success rate", rate, before, unit="percent", note=note)
    counts = Counter(runs.this_week)
    jobs = sorted({job for job, _ in runs.this_week})
    table = [
        {"job": job, **{s: counts.get((job, s), 0) for s in ("SUCCESS", "FAILURE", "CANCELED")}}
        for job in jobs
    ]
    failed = sum(row["FAILURE"] for row in table)
    summary = (
        f"{finished} pipeline runs finished this week; {failed} failed."
        if finished
        else "No pipeline runs finished this week."
    )
    return kpi, summary, table


def render_weekly_set(
    warehouse: PostgresWarehouse,
    org: kpis.Organisation,
    week: Week,
    runs: RunStats,
    *,
    generated_at: dt.datetime | None = None,
    workers: int | None = None,
) -> list[RenderedReport]:
    """Render the executive, ops and per-venue PDFs of ``org`` for ``week``.

    Data and shared charts are prepared here; documents render in ``workers`` processes.
    """
    week = week.in_zone(org.time_zone)
    generated = (generated_at or dt.datetime.now(dt.UTC)).astimezone(week.start.tzinfo)
    catalogue = kpis.catalogue_kpis(warehouse, week)
    pipeline, pipeline_summary, run_rows = pipeline_kpi(runs)
    org_kpis = [
        *catalogue[:2],
        *kpis.booking_kpis(warehouse, org, week),
        *kpis.ticket_kpis(warehouse, org, week),
        catalogue[2],
        pipeline,
    ]
    events = _event_rows(kpis.viral_events(warehouse, week), org.time_zone)
    artists = [
        {**row, "first_seen": _local(row["first_seen_at"], org.time_zone)}
        for row in kpis.new_artists(warehouse, week).iter_rows(named=True)
    ]
    momentum = kpis.top_momentum(warehouse, week)
    daily = kpis.daily_counts(warehouse, week)
    counts = [k for k in org_kpis if k.unit == "count" and k.connected]
    from promoteros_pipelines.rendering import charts  # matplotlib loads on the first render

    shared_charts = {
        "comparison": charts.comparison_bars(
            [k.label for k in counts],
            [k.value for k in counts],
            [k.previous for k in counts],
            y_label="Count per week",
            title="This week vs previous week",
        ),
        "daily": charts.daily_lines(
            [d.strftime("%a %d") for d in week.days],
            daily,
            y_label="Count per day",
            x_label=f"Day ({org.time_zone})",
            title="New artists and viral events per day",
        ),
        "momentum": momentum_chart(_chart_args(momentum, "Highest momentum at week end")),
    }
    base = {
        "org": org,
        "period": {
            "label": week.label,
            "first_day": week.monday.isoformat(),
            "last_day": week.days[-1].isoformat(),
        },
        "generated_at": generated.strftime("%Y-%m-%d %H:%M %Z"),
        "viral_events": events,
        "event_columns": EVENT_COLUMNS,
        "momentum_columns": MOMENTUM_COLUMNS,
        "pipeline_summary": pipeline_summary,
    }
    jobs = [
        ReportJob(
            role,
            None,
            None,
            f"{org.slug}-{week.label}-{role}.pdf",
            {
                **base,
                "document_title": f"{org.name}: weekly {role} report {week.label}",
                "kpis": org_kpis,
                "charts": shared_charts,
                "new_artists": artists,
                "artist_columns": ARTIST_COLUMNS,
                "momentum": _momentum_rows(momentum),
                "pipeline_runs": run_rows,
                "run_columns": RUN_COLUMNS,
            },
            org_kpis,
        )
        for role in (EXECUTIVE, OPS)
    ]
    venues = kpis.venues(warehouse, org.organisation_id).iter_rows(named=True)
    rankings: dict[tuple[str, ...], pl.DataFrame] = {}  # venues sharing genres read one
    jobs.extend(_venue_job(warehouse, org, week, v, catalogue, base, rankings) for v in venues)
    return render_jobs(jobs, workers)


def _venue_job(
    warehouse: PostgresWarehouse,
    org: kpis.Organisation,
    week: Week,
    venue: dict[str, Any],
    catalogue: list[Kpi],
    base: dict[str, Any],
    rankings: dict[tuple[str, ...], pl.DataFrame],
) -> ReportJob:
    venue_kpis = [
        *kpis.booking_kpis(warehouse, org, week, venue["venue_id"]),
        *kpis.ticket_kpis(warehouse, org, week, venue["venue_id"]),
        *catalogue[:2],
    ]
    genres = list(venue["genres"] or [])
    key = tuple(sorted(genres))
    if key not in rankings:
        rankings[key] = kpis.top_momentum(warehouse, week, genres or None)
    momentum = rankings[key]
    note = f"Artists with the highest momentum whose genres overlap {venue['name']}'s " + (
        f"({', '.join(genres)})." if genres else "(no genres set for this venue: all artists)."
    )
    context = {
        **base,
        "document_title": f"{org.name}: weekly venue report {week.label}, {venue['name']}",
        "venue": venue,
        "kpis": venue_kpis,
        "momentum": _momentum_rows(momentum),
        "momentum_note": note,
    }
    return ReportJob(
        VENUE,
        venue["venue_id"],
        venue["slug"],
        f"{org.slug}-{week.label}-venue-{venue['slug']}.pdf",
        context,
        venue_kpis,
        # titled by genres, not venue, so venues sharing genres share one drawn chart
        _chart_args(momentum, f"Highest momentum in {', '.join(genres) or 'all genres'}"),
    )
