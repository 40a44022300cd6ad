"""Weekly report set for one organisation with 20 venues (1 executive + 1 ops + 20 venue PDFs).

Measures wall time (database reads, charts, HTML and PDF), pages per second and this
process's peak RSS, rendering in one process (the default); the comparison, in the same run,
renders the same 22 documents with a 2-process pool (ratio > 1: the pool is slower).
Target: ≤ 15 s, ≤ 500 MB.
"""

import argparse
import io
import os
import resource
import time

import psycopg
from pypdf import PdfReader

from benchmarks.common import scratch_database, write_result
from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import parse_week
from promoteros_pipelines.defs.reports.weekly import RunStats, render_weekly_set
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.defs.reports.world import MONDAY, WEEK, seed_world

VENUES = 20  # the organisation; --venues makes the quick size
POOL_WORKERS = 2  # the comparison: a process pool on the 2-core target


def _bulk_history(url: str, artists: int) -> None:
    """A realistic catalogue: artists over five weeks, their momentum and viral events."""
    with psycopg.connect(url) as conn:
        conn.execute(
            """
            INSERT INTO promoteros.artists (name, normalized_name, genres, first_seen_at)
            SELECT 'Artist ' || i, 'artist ' || i,
                   CASE WHEN i %% 2 = 0 THEN ARRAY['indie'] ELSE ARRAY['techno'] END,
                   %s::timestamptz - (i %% 35) * interval '1 day' + interval '3 days'
            FROM generate_series(1, %s) i
            """,
            (MONDAY.isoformat(), artists),
        )
        conn.execute(
            """
            INSERT INTO promoteros.artist_momentum (artist_id, day, lead_platform, followers,
                growth_7d, momentum_score, momentum_version, platforms_scored)
            SELECT artist_id, %s::date + d, 'spotify', 1000 + artist_id * 10 + d * 7,
                   0.05, (artist_id * 37 + d) %% 100, 'bench', 2
            FROM promoteros.artists, generate_series(-30, 6, 3) d
            """,
            (MONDAY.isoformat(),),
        )
        conn.execute(
            """
            INSERT INTO promoteros.viral_events (artist_id, window_start, detected_at,
                last_signal_at, status, signal_count, signal_types, platforms, evidence_keys,
                peak_strength, explanation)
            SELECT artist_id, t - interval '6 hours', t, t,
                   CASE WHEN artist_id % 3 = 0 THEN 'confirmed' ELSE 'new' END, 2,
                   ARRAY['follower_spike'], ARRAY['tiktok'], ARRAY['k'], 2 + artist_id % 5,
                   'followers up ' || (50 + artist_id % 100) || '% in 24 h'
            FROM (SELECT artist_id, first_seen_at + interval '1 day' AS t
                  FROM promoteros.artists WHERE artist_id % 4 = 0) s
            """
        )


def _pages(pdfs: list[bytes]) -> int:
    return sum(len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    """The largest finished child's peak RSS (the rendering workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks report_render")
    parser.add_argument("--artists", type=int, default=2000)
    parser.add_argument(
        "--distinct-genres",
        action="store_true",
        help="give every venue its own genre set (no two venue charts alike: the worst case)",
    )
    parser.add_argument("--venues", type=int, default=VENUES)
    args = parser.parse_args(argv)
    with scratch_database() as url:
        seed_world(url, venues=args.venues)
        _bulk_history(url, args.artists)
        if args.distinct_genres:
            with psycopg.connect(url) as conn:
                conn.execute(
                    "UPDATE promoteros.venues SET genres = genres || ('g' || venue_id::text)"
                )
        warehouse = PostgresWarehouse(database_url=url)
        org = kpis.organisation(warehouse, "northern-lights-live")
        week = parse_week(WEEK, org.time_zone)
        runs = RunStats([("job", "SUCCESS")] * 40 + [("job", "FAILURE")], [("job", "SUCCESS")])

        render_weekly_set(warehouse, org, week, runs, workers=1)  # warm-up: imports, fonts
        start = time.perf_counter()
        reports = render_weekly_set(warehouse, org, week, runs, workers=1)
        seconds = time.perf_counter() - start
        peak = _peak_mb()

        pages = _pages([r.pdf for r in reports])

        start = time.perf_counter()
        pooled = render_weekly_set(warehouse, org, week, runs, workers=POOL_WORKERS)
        pool_seconds = time.perf_counter() - start
        worker_peak = _children_peak_mb()
        assert [r.filename for r in pooled] == [r.filename for r in reports]

    result = {
        "pdfs": len(reports),
        "pages": pages,
        "seconds": round(seconds, 2),
        "pages_per_second": round(pages / seconds, 1),
        "peak_rss_mb": round(peak, 1),
        "mean_pdf_kb": round(sum(len(r.pdf) for r in reports) / len(reports) / 1024, 1),
        "workers": 1,
        "pool_workers": POOL_WORKERS,
        "pool_seconds": round(pool_seconds, 2),
        "pool_worker_peak_rss_mb": round(worker_peak, 1),
        "pool_time_ratio": round(pool_seconds / seconds, 2),
        "load_average": os.getloadavg(),
        "targets": {"seconds": 15, "peak_rss_mb": 500},
        "artists": args.artists,
        "venues": args.venues,
        "distinct_genre_sets": args.distinct_genres,
    }
    path = write_result("report_render", result)
    print(
        f"{len(reports)} PDFs, {pages} pages in {seconds:.2f} s ({pages / seconds:.1f} pages/s),"
        f" peak RSS {peak:.0f} MB  |  same set with a {POOL_WORKERS}-process pool:"
        f" {pool_seconds:.2f} s = {pool_seconds / seconds:.2f}x the time (largest worker"
        f" {worker_peak:.0f} MB); load average {os.getloadavg()[0]:.1f}  ->  {path}"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
