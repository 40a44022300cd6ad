"""Rendering one report document from a picklable job, in this process or a worker.

Kept apart from the data reads so a rendering worker imports only jinja2, matplotlib and
WeasyPrint (not Dagster or the database drivers). Workers come from a ``forkserver`` that has
these modules preloaded: quick to start, and never a fork of a threaded Dagster run process.
"""

import functools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from promoteros_pipelines.domain.report_kpis import Kpi

# imported on first use, so that code which only builds jobs stays light
HEAVY_MODULES = ["promoteros_pipelines.rendering.charts", "promoteros_pipelines.rendering.render"]
EXECUTIVE, OPS, VENUE = "executive", "ops", "venue"
TEMPLATES = {
    EXECUTIVE: "weekly_executive.html.j2",
    OPS: "weekly_ops.html.j2",
    VENUE: "weekly_venue.html.j2",
}


@dataclass(frozen=True)
class RenderedReport:
    role: str
    venue_id: int | None
    venue_slug: str | None
    filename: str
    pdf: bytes
    kpis: list[Kpi]
    title: str = ""  # "weekly venue report for KOKO": what the mail calls it
    summary: tuple[str, ...] = ()  # a few sentences for the mail's body


def momentum_chart(args: tuple[list[str], list[float], str] | None) -> Any:
    if args is None:
        return ""
    labels, values, title = args
    return _ranked_momentum(tuple(labels), tuple(values), title)


@functools.lru_cache(maxsize=16)
def _ranked_momentum(labels: tuple[str, ...], values: tuple[float, ...], title: str) -> Any:
    """Drawn once per distinct ranking: venues sharing genres get the same chart, and drawing
    it is a fifth of a venue PDF's time. Keyed by the data itself, so it cannot go stale."""
    from promoteros_pipelines.rendering import charts

    return charts.momentum_dots(labels, values, x_label="Momentum score (0-100)", title=title)


@dataclass(frozen=True)
class ReportJob:
    """Everything one PDF needs, picklable, so documents can render in worker processes."""

    role: str
    venue_id: int | None
    venue_slug: str | None
    filename: str
    context: dict[str, Any]
    kpis: list[Kpi]
    momentum_chart: tuple[list[str], list[float], str] | None = None
    title: str = ""
    summary: tuple[str, ...] = ()


def render_job(job: ReportJob) -> RenderedReport:
    context = job.context
    if "charts" not in context:  # drawn here so a worker process does the matplotlib work
        context = {**context, "charts": {"momentum": momentum_chart(job.momentum_chart)}}
    from promoteros_pipelines.rendering.render import render_pdf

    pdf = render_pdf(TEMPLATES[job.role], context)
    return RenderedReport(
        job.role,
        job.venue_id,
        job.venue_slug,
        job.filename,
        pdf,
        job.kpis,
        job.title or f"weekly {job.role} report",
        job.summary,
    )


def default_workers() -> int:
    """PROMOTEROS_REPORT_WORKERS, default 1: on 2 idle cores a 2-process pool renders the set
    about 25% faster but holds two more WeasyPrint heaps (~180 MB each), and it loses its lead
    when the other core is busy with the rest of the run (see benchmarks/report_render)."""
    return max(1, int(os.environ.get("PROMOTEROS_REPORT_WORKERS") or 1))


def render_jobs(jobs: list[ReportJob], workers: int | None = None) -> list[RenderedReport]:
    """Render in order; with more than one worker, in a pool of processes."""
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(jobs) <= 2:
        return [render_job(job) for job in jobs]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, *HEAVY_MODULES])
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        return list(pool.map(render_job, jobs))
