"""The weekly executive report set for one organisation: executive, ops, and one per venue.

Data is read once per organisation and shared by the variants; only the venue pages read
their own booking, ticketing and genre-matched momentum figures. A venue's artists are those
whose genres fit its own through the shared taxonomy (``domain/genres.py``): a techno act fits
an electronic room.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from promoteros_pipelines.defs.approvals.store import weekly_statistics
from promoteros_pipelines.defs.reports import kpis, rows, ticket_rows
from promoteros_pipelines.defs.reports.operations import (
    MAINTENANCE_COLUMNS,
    NOTE_COLUMNS,
    info_notes,
    maintenance_section,
)
from promoteros_pipelines.defs.reports.opportunities import venue_opportunities
from promoteros_pipelines.defs.reports.periods import Week
from promoteros_pipelines.domain import genres as taxonomy
from promoteros_pipelines.domain.approvals import approvals_summary
from promoteros_pipelines.domain.report_kpis import Kpi, run_success_rate
from promoteros_pipelines.domain.wording import plural
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
TREND_WEEKS = 8
TOP_OPPORTUNITIES = 5


@dataclass(frozen=True)
class RunStats:
    """(job name, status) of the Dagster runs created in the week and the week before."""

    this_week: list[tuple[str, str]] = field(default_factory=list)
    previous: list[tuple[str, str]] = field(default_factory=list)
    available: bool = True


def _chart_args(frame: pl.DataFrame, title: str) -> tuple[list[str], list[float], str] | None:
    if frame.is_empty():
        return None
    return frame["artist"].to_list(), frame["momentum_score"].to_list(), title


def pipeline_kpi(runs: RunStats) -> tuple[Kpi, str, list[dict[str, Any]]]:
    """The success-rate tile, a one-line summary and a per-job table."""
    rate, finished = run_success_rate([s for _, s in runs.this_week])
    before, _ = run_success_rate([s for _, s in runs.previous])
    label = "Pipeline success rate"
    if not runs.available:
        kpi = Kpi(
            "pipeline_success",
            label,
            None,
            None,
            unit="percent",
            note="Dagster run history was not available",
            connected=False,
        )
        return kpi, "Dagster run history was not available for this rendering.", []
    note = plural(finished, "finished run") if finished else "no pipeline run finished this week"
    kpi = Kpi("pipeline_success", label, rate, before, unit="percent", note=note, empty="no runs")
    counts = Counter(runs.this_week)
    jobs = sorted({job for job, _ in runs.this_week})
    table: list[dict[str, Any]] = [
        {"job": job, **{s: counts.get((job, s), 0) for s in ("SUCCESS", "FAILURE", "CANCELED")}}
        for job in jobs
    ]
    failed = sum(row["FAILURE"] for row in table)
    summary = (
        f"{plural(finished, 'pipeline run')} finished this week; {failed} failed."
        if finished
        else "No pipeline runs finished this week."
    )
    return kpi, summary, table


def headline(
    catalogue: list[Kpi], events: list[dict[str, Any]], momentum: pl.DataFrame, pipeline: str
) -> list[str]:
    """The week in four sentences, for the top of the executive summary."""
    new, viral = catalogue[0], catalogue[1]
    lines = [
        f"{plural(int(new.value or 0), 'new artist')} tracked"
        f" ({int(new.previous or 0):,} the week before)."
    ]
    if events:
        top = events[0]
        lines.append(
            f"{plural(int(viral.value or 0), 'viral event')} this week"
            + ("; the strongest" if len(events) > 1 else "")
            + f": {top['artist']}, {top['what']}."
        )
    else:
        lines.append("No viral events this week.")
    if not momentum.is_empty():
        leaders = ", ".join(
            f"{name} ({score:.0f})"
            for name, score in momentum.select("artist", "momentum_score").head(3).iter_rows()
        )
        lines.append(f"Highest momentum at the week's end: {leaders}.")
    lines.append(pipeline)
    return lines


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
    event_frame = kpis.viral_events(warehouse, week)
    events = rows.event_rows(event_frame, org.time_zone)
    momentum = kpis.top_momentum(warehouse, week)
    periods, weekly = kpis.weekly_counts(warehouse, week, TREND_WEEKS)
    from promoteros_pipelines.rendering import charts  # matplotlib loads on the first render

    shared_charts = {
        "weeks": charts.small_multiples(
            [f"W{p.monday.isocalendar()[1]:02d}" for p in periods],
            weekly,
            x_label="ISO week",
            title=f"The last {TREND_WEEKS} weeks (this week in orange)",
        ),
        "daily": charts.small_multiples(
            [d.strftime("%a\n%d") for d in week.days],
            kpis.daily_counts(warehouse, week),
            x_label=f"Day ({org.time_zone})",
            title="This week, day by day",
            highlight_last=False,
        ),
        "momentum": momentum_chart(_chart_args(momentum, "Highest momentum at the week's end")),
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
        "event_columns": rows.EVENT_COLUMNS,
        "momentum_columns": rows.MOMENTUM_COLUMNS,
        "pipeline_summary": pipeline_summary,
    }
    brief = headline(catalogue, events, momentum, pipeline_summary)
    operations = {
        **maintenance_section(warehouse, week),
        **info_notes(warehouse, week),
        "maintenance_columns": MAINTENANCE_COLUMNS,
        "note_columns": NOTE_COLUMNS,
    }
    venue_frame = kpis.venues(warehouse, org.organisation_id)
    tickets = ticket_rows.organisation_section(warehouse, org.organisation_id, week, venue_frame)
    base["ticket_columns"] = ticket_rows.COLUMNS
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
                "headline": brief,
                "charts": shared_charts,
                "new_artists": rows.artist_rows(kpis.new_artists(warehouse, week), org.time_zone),
                "artist_columns": rows.ARTIST_COLUMNS,
                "momentum": rows.momentum_rows(momentum),
                "pipeline_runs": run_rows,
                "run_columns": rows.RUN_COLUMNS,
                "tickets": tickets,
                "approvals_summary": approvals_summary(
                    weekly_statistics(warehouse, week.start, week.end, org.slug)
                ),
                **operations,
            },
            org_kpis,
            title=f"weekly {'executive' if role == EXECUTIVE else 'operations'} report",
            summary=tuple(brief),
        )
        for role in (EXECUTIVE, OPS)
    ]
    venues = venue_frame.iter_rows(named=True)
    stored_genres = kpis.artist_genre_names(warehouse)
    rankings: dict[tuple[str, ...] | None, pl.DataFrame] = {}  # venues sharing genres read one
    for venue in venues:
        job = _venue_job(
            warehouse, org, week, venue, catalogue, base, event_frame, stored_genres, rankings
        )
        jobs.append(job)
    return render_jobs(jobs, workers)


def _venue_job(
    warehouse: PostgresWarehouse,
    org: kpis.Organisation,
    week: Week,
    venue: dict[str, Any],
    catalogue: list[Kpi],
    base: dict[str, Any],
    event_frame: pl.DataFrame,
    stored_genres: list[str],
    rankings: dict[tuple[str, ...] | None, pl.DataFrame],
) -> ReportJob:
    venue_kpis = [
        *kpis.booking_kpis(warehouse, org, week, venue["venue_id"]),
        *kpis.ticket_kpis(warehouse, org, week, venue["venue_id"]),
        *catalogue[:2],
    ]
    genres = taxonomy.canonical_list(venue["genres"] or [])
    # None: a venue without genres sees every artist; [] (nothing fits) sees none
    fitting = tuple(taxonomy.fitting_genres(genres, stored_genres)) if genres else None
    if fitting not in rankings:
        rankings[fitting] = kpis.top_momentum(
            warehouse, week, None if fitting is None else list(fitting)
        )
    momentum = rankings[fitting]
    room = ", ".join(genres)
    note = (
        f"The artists with the highest momentum whose genres fit {venue['name']} ({room}):"
        " the same genre, or a kind of it (techno fits electronic, alt rock fits rock)."
        if genres
        else f"{venue['name']} has no genres set, so every artist is listed; add its genres"
        " to the venues reference file to see the acts that fit its room."
    )
    events = rows.event_rows(event_frame, org.time_zone, genres or None)
    fitting_events = [e for e in events if e["fits"]] if genres else events
    context = {
        **base,
        "document_title": f"{org.name}: weekly venue report {week.label}, {venue['name']}",
        "venue": venue,
        "venue_genres": room,
        "kpis": venue_kpis,
        "momentum": rows.momentum_rows(momentum, genres),
        "momentum_columns": rows.VENUE_MOMENTUM_COLUMNS if genres else rows.MOMENTUM_COLUMNS,
        "momentum_note": note,
        "viral_events": fitting_events,
        "other_viral_events": _others(len(events) - len(fitting_events), venue["name"]),
        "opportunities": opportunity_rows(warehouse, venue["venue_id"]),
        "opportunity_columns": rows.OPPORTUNITY_COLUMNS,
        "tickets": ticket_rows.venue_section(warehouse, org.organisation_id, week, venue),
    }
    return ReportJob(
        VENUE,
        venue["venue_id"],
        venue["slug"],
        f"{org.slug}-{week.label}-venue-{venue['slug']}.pdf",
        context,
        venue_kpis,
        # titled by genres, not venue, so venues sharing genres share one drawn chart
        _chart_args(momentum, f"Highest momentum among artists fitting {room or 'any genre'}"),
        title=f"weekly venue report for {venue['name']}",
        summary=_venue_summary(venue["name"], momentum, fitting_events),
    )


def opportunity_rows(warehouse: PostgresWarehouse, venue_id: int) -> list[dict[str, Any]]:
    """The venue's live booking opportunities, highest score first, for its page."""
    out = []
    for row in venue_opportunities(warehouse, venue_id, TOP_OPPORTUNITIES):
        projection = row["projection"]
        p50 = projection.get("scenarios", {}).get("p50", {})
        fee = projection.get("fee", {})
        break_even = projection.get("break_even_attendance")
        out.append(
            {
                "artist": row["artist"],
                "score": f"{row['score']:.0f}",
                "window": f"{row['window_start']:%d %b} to {row['window_end']:%d %b %Y}",
                "attendance": f"{p50.get('attendance', 0):,}",
                "gross": f"{projection.get('expected_gross', 0):,.0f} {row['currency']}",
                "fee": f"{fee.get('guarantee_low', 0):,.0f}-{fee.get('guarantee_high', 0):,.0f}",
                "break_even": f"{break_even:,}" if break_even else "none",
                "status": row["status"].replace("_", " "),
            }
        )
    return out


def _others(count: int, name: str) -> str:
    if not count:
        return ""
    verb = "was" if count == 1 else "were"
    return f"{plural(count, 'other viral event')} this week {verb} outside {name}'s genres."


def _venue_summary(
    name: str, momentum: pl.DataFrame, events: list[dict[str, Any]]
) -> tuple[str, ...]:
    lines = []
    if not momentum.is_empty():
        leaders = ", ".join(
            f"{artist} ({score:.0f})"
            for artist, score in momentum.select("artist", "momentum_score").head(3).iter_rows()
        )
        lines.append(f"Artists to watch for {name}: {leaders}.")
    else:
        lines.append(f"No artist whose genres fit {name} has a momentum score yet.")
    if events:
        lines.append(
            f"{plural(len(events), 'viral event')} this week in {name}'s genres"
            + ("; the strongest" if len(events) > 1 else "")
            + f": {events[0]['artist']}, {events[0]['what']}."
        )
    return tuple(lines)
