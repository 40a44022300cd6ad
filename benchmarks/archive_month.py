"""Archive + verify of one month of ``metric_observations``: rows/s against a plain COPY TO.

Data: ``--rows`` (10,000,000) observations in one month (January 2024), generated inside
PostgreSQL into that month's partition: artists x {spotify, youtube} x {followers, views}
every 15 minutes. Then, in this process:

* baseline: ``COPY (SELECT ...) TO STDOUT (FORMAT binary)`` of the same partition through
  psycopg, every byte read and discarded (the least an export can cost);
* archive: ``archive_month`` exactly as the nightly maintenance runs it: stream the rows out
  through ADBC into Parquet with the content checksum, put the file in a local report store,
  read it back and verify it (SHA-256, rows, checksum), then detach and drop the partition;
* restore: ``restore_month`` back from the store (verified again), and the row count checked.
"""

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import psycopg

from benchmarks.common import scratch_database, timed, without_indexes, write_result
from promoteros_pipelines.defs.operations import archive_store
from promoteros_pipelines.defs.operations.archive import archive_month, restore_month
from promoteros_pipelines.domain.archive import partition_name
from promoteros_pipelines.report_store.store import LocalReportStore
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MONTH = dt.date(2024, 1, 1)
STEPS = 31 * 24 * 4  # every 15 minutes in January
SERIES_PER_ARTIST = 4


def load(url: str, rows: int) -> int:
    artists = max(1, rows // (STEPS * SERIES_PER_ARTIST))
    start = dt.datetime.combine(MONTH, dt.time(), dt.UTC)
    with psycopg.connect(url) as conn:
        archive_store.attach_month(conn, MONTH)
        conn.execute(
            "INSERT INTO promoteros.artists (artist_id, name, normalized_name)"
            " OVERRIDING SYSTEM VALUE SELECT n, 'Artist ' || n, 'artist ' || n"
            " FROM generate_series(1, %s) n",
            (artists,),
        )
        with without_indexes(conn, "promoteros", "metric_observations"):
            conn.execute(
                """
                INSERT INTO promoteros.metric_observations
                    (artist_id, platform, metric, observed_at, value, source)
                SELECT a, p, m, %(start)s + make_interval(mins => 15 * k),
                       1000 * a + 37 * k + (k * 7 %% 5), CASE WHEN k %% 3 = 0 THEN 'scraper'
                       ELSE 'api' END
                FROM generate_series(1, %(artists)s) a,
                     unnest(ARRAY['spotify', 'youtube']) p,
                     unnest(ARRAY['followers', 'views']) m,
                     generate_series(0, %(steps)s - 1) k
                """,
                {"start": start, "artists": artists, "steps": STEPS},
            )
    with psycopg.connect(url, autocommit=True) as conn:  # both runs read all-visible pages
        conn.execute(f"VACUUM ANALYZE promoteros.{partition_name(MONTH)}")
        total = conn.execute(f"SELECT count(*) FROM promoteros.{partition_name(MONTH)}").fetchone()
    return int(total[0] if total else 0)


def copy_to(url: str) -> int:
    """Bytes of a binary COPY TO of the month, read and thrown away."""
    read = 0
    query = (
        "COPY (SELECT artist_id, platform, metric, observed_at, value, source, ingested_at"
        f" FROM promoteros.{partition_name(MONTH)}) TO STDOUT (FORMAT binary)"
    )
    with psycopg.connect(url) as conn, conn.cursor() as cursor, cursor.copy(query) as copy:
        for block in copy:
            read += len(block)
    return read


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args(argv)
    with scratch_database() as url, tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        rows = load(url, args.rows)
        load_seconds = time.perf_counter() - started
        warehouse = PostgresWarehouse(database_url=url)
        store = LocalReportStore(Path(folder) / "store")
        with timed() as baseline:
            copied_bytes = copy_to(url)
        with timed() as archive:
            archived = archive_month(warehouse, store, MONTH, Path(folder))
        dropped = MONTH not in archive_store.partition_months(warehouse)
        with timed() as restore:
            restored = restore_month(warehouse, store, MONTH)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": rows,
        "load_seconds": round(load_seconds, 1),
        "copy_to_seconds": round(baseline["seconds"], 2),
        "copy_to_bytes": copied_bytes,
        "copy_to_rows_per_second": round(rows / max(baseline["seconds"], 1e-6)),
        "archive_seconds": round(archive["seconds"], 2),
        "archive_rows_per_second": round(archived.rows / max(archive["seconds"], 1e-6)),
        "parquet_bytes": archived.size_bytes,
        "partition_dropped": dropped,
        "restore_seconds": round(restore["seconds"], 2),
        "restore_rows_per_second": round(restored / max(restore["seconds"], 1e-6)),
        "restored_rows": restored,
        "ratio_archive_to_copy": round(baseline["seconds"] / max(archive["seconds"], 1e-6), 3),
        "peak_rss_mb": round(peak_mb),
    }
    print(result)
    print(write_result("archive_month", result))


if __name__ == "__main__":
    main()
