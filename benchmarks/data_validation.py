"""data_validation over 10M observations: wall time and peak memory (target <= 60 s, <= 2 GB).

Data: ``--rows`` (10,000,000) observations generated inside PostgreSQL (so the generator's
memory is not the validator's): artists x {spotify, youtube} x {followers, views} every 6 hours
ending now, steady growth with noise, 0.1 % of series given a one-sample glitch. The validator
then runs in this process exactly as the job does (``validation.validate`` for
metric_observations and tracked_artists), and is compared with a plain ``SELECT count(*)``
scan of the table (the least any whole-table check can cost).
"""

import argparse
import datetime as dt
import resource
import time

import psycopg

from benchmarks.common import scratch_database, timed, without_indexes, write_result
from promoteros_pipelines.defs.operations import validation
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

STEPS_PER_DAY = 4
SERIES_PER_ARTIST = 4


def load(url: str, rows: int, days: int) -> tuple[int, dt.datetime]:
    steps = days * STEPS_PER_DAY
    artists = max(1, rows // (steps * SERIES_PER_ARTIST))
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO promoteros.artists (artist_id, name, normalized_name)"
            " OVERRIDING SYSTEM VALUE SELECT n, 'Artist ' || n, 'artist ' || n"
            " FROM generate_series(1, %s) n",
            (artists,),
        )
        conn.execute(
            "INSERT INTO promoteros.artist_platform_ids (artist_id, platform, external_id)"
            " SELECT n, p, left(p, 2) || '-' || n FROM generate_series(1, %s) n,"
            " unnest(ARRAY['spotify', 'youtube']) p",
            (artists,),
        )
        with without_indexes(conn, "promoteros", "metric_observations"):
            conn.execute(
                """
                INSERT INTO promoteros.metric_observations
                    (artist_id, platform, metric, observed_at, value)
                SELECT a, p, m, %(now)s - make_interval(hours => 6 * (%(steps)s - k)),
                       CASE WHEN a %% 1000 = 7 AND k = %(steps)s - 3 THEN 10
                            ELSE (1000 * a + 37 * k + (k * 7 %% 5))
                                 * (CASE m WHEN 'views' THEN 40 ELSE 1 END)
                       END
                FROM generate_series(1, %(artists)s) a,
                     unnest(ARRAY['spotify', 'youtube']) p,
                     unnest(ARRAY['followers', 'views']) m,
                     generate_series(1, %(steps)s) k
                """,
                {"now": now, "steps": steps, "artists": artists},
            )
        conn.execute("ANALYZE promoteros.metric_observations")
        total = conn.execute("SELECT count(*) FROM promoteros.metric_observations").fetchone()
    return int(total[0] if total else 0), now


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=100)
    args = parser.parse_args(argv)
    with scratch_database() as url:
        started = time.perf_counter()
        rows, now = load(url, args.rows, args.days)
        load_seconds = time.perf_counter() - started
        warehouse = PostgresWarehouse(database_url=url)
        with timed() as scan, psycopg.connect(url) as conn:
            conn.execute("SELECT count(*) FROM promoteros.metric_observations").fetchone()
        with timed() as run:
            findings = validation.validate(
                warehouse, now + dt.timedelta(minutes=1), ["metric_observations", "tracked_artists"]
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": rows,
        "load_seconds": round(load_seconds, 1),
        "validate_seconds": round(run["seconds"], 1),
        "count_scan_seconds": round(scan["seconds"], 2),
        "ratio_to_count_scan": round(run["seconds"] / max(scan["seconds"], 1e-3), 1),
        "peak_rss_mb": round(peak_mb),
        "targets": {"seconds": 60, "peak_mb": 2048},
        "findings": {f"{f.asset}:{f.check}": f.passed for f in findings},
    }
    print(result)
    print(write_result("data_validation", result))


if __name__ == "__main__":
    main()
