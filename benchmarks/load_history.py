"""``promoteros load observations``: a 10,000,000-row history CSV into the warehouse.

Compared in the same run, with the same file:
* ``plain_copy``: PostgreSQL's own ``COPY ... FROM STDIN (FORMAT csv)`` of the file into a bare
  table with the file's six columns (no checks, no artists, no key: the physical limit here);
* ``load_observations``: the project's path (``defs/metrics/history.py``): every row checked,
  10,000 new artists tracked with their platform ids, COPY into a staging table, one
  idempotent insert into ``metric_observations``;
and, with ``--context`` (two more passes over the file: about two thirds of the benchmark's
time at 10M rows, so ``make bench`` leaves them out and ``--quick`` keeps them from rotting):
* ``load_observations_again``: the same file loaded a second time (nothing changes);
* ``copy_into_table``: the same rows (artist ids resolved) COPYed straight into
  ``metric_observations``, whose primary key, two indexes and foreign key every load pays.
"""

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

from benchmarks.common import scratch_database, timed, write_result
from promoteros_pipelines.defs.metrics.history import load_history
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

PLATFORMS = ["spotify", "youtube", "tiktok", "instagram"]
METRICS = ["followers", "likes"]
BLOCK = 1 << 20


def write_history(path: Path, rows: int, artists: int) -> int:
    """Each artist on four platforms, followers and likes every 6 hours, as a CSV file."""
    per_series = max(1, rows // (artists * len(PLATFORMS) * len(METRICS)))
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    frame = (
        pl.DataFrame({"n": pl.int_range(1, artists + 1, eager=True)})
        .join(pl.DataFrame({"platform": PLATFORMS}), how="cross")
        .join(pl.DataFrame({"metric": METRICS}), how="cross")
        .join(pl.DataFrame({"step": pl.int_range(0, per_series, eager=True)}), how="cross")
        .select(
            "platform",
            pl.concat_str(pl.col("platform").str.slice(0, 2), pl.lit("-"), pl.col("n")).alias(
                "external_id"
            ),
            pl.concat_str(pl.lit("Artist "), pl.col("n")).alias("artist_name"),
            "metric",
            pl.lit(0.0).alias("value"),
            (pl.lit(start) + pl.duration(hours=6 * pl.col("step"))).alias("observed_at"),
        )
    )
    values = np.random.default_rng(1).integers(100, 5_000_000, frame.height).astype(np.float64)
    frame = frame.with_columns(pl.Series("value", values))
    frame.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%SZ")
    return frame.height


def plain_copy(url: str, path: Path) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE bare_history (platform text, external_id text, artist_name text,"
            " metric text, value float8, observed_at timestamptz)"
        )
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY bare_history FROM STDIN (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as file,
        ):
            while block := file.read(BLOCK):
                copy.write(block)


def copy_into_table(url: str) -> float:
    """Seconds to COPY the loaded rows back into the emptied table (text, in key order)."""
    columns = "artist_id, platform, metric, observed_at, value, source"
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        data = bytearray()
        with cursor.copy(
            f"COPY (SELECT {columns} FROM promoteros.metric_observations"
            " ORDER BY artist_id, platform, metric, observed_at) TO STDOUT (FORMAT csv)"
        ) as copy:
            for block in copy:
                data += block
        cursor.execute("TRUNCATE promoteros.metric_observations")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    with (
        timed() as t,
        psycopg.connect(url) as conn,
        conn.cursor() as cursor,
        cursor.copy(
            f"COPY promoteros.metric_observations ({columns}) FROM STDIN (FORMAT csv)"
        ) as copy,
    ):
        for offset in range(0, len(data), BLOCK):
            copy.write(data[offset : offset + BLOCK])
    return t["seconds"]


def run(rows: int, artists: int, context: bool = False) -> dict:
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "history.csv"
        written = write_history(path, rows, artists)
        size_mb = path.stat().st_size / 1e6
        with scratch_database() as url:
            with timed() as t:
                plain_copy(url, path)
            results["plain_copy"] = {"rows": written, "seconds": t["seconds"]}
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP TABLE bare_history")
                conn.execute("CHECKPOINT")
            warehouse = PostgresWarehouse(database_url=url)
            with timed() as t:
                first = load_history(warehouse, path, progress=print)
            results["load_observations"] = {
                "rows": written,
                "seconds": t["seconds"],
                "inserted": first.inserted_or_changed,
                "artists_created": first.artists_created,
            }
            if context:
                with timed() as t:
                    again = load_history(warehouse, path)
                results["load_observations_again"] = {
                    "rows": written,
                    "seconds": t["seconds"],
                    "inserted": again.inserted_or_changed,
                }
                results["copy_into_table"] = {"rows": written, "seconds": copy_into_table(url)}
    for entry in results.values():
        entry["rows_per_second"] = entry["rows"] / entry["seconds"]
    copy_rate = results["plain_copy"]["rows_per_second"]
    for entry in results.values():
        entry["ratio_to_plain_copy"] = entry["rows_per_second"] / copy_rate
    return {"file_mb": round(size_mb, 1), "artists": artists, "results": results}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--artists", type=int, default=10_000)
    parser.add_argument(
        "--context",
        action="store_true",
        help="also load the file a second time and COPY the rows straight into the table",
    )
    args = parser.parse_args(argv)
    outcome = run(args.rows, args.artists, args.context)
    print(f"file: {outcome['file_mb']} MB, {outcome['artists']:,} artists")
    print(f"{'path':<26}{'rows':>12}{'seconds':>10}{'rows/s':>14}{'x plain COPY':>14}")
    for name, entry in outcome["results"].items():
        print(
            f"{name:<26}{entry['rows']:>12,}{entry['seconds']:>10.2f}"
            f"{entry['rows_per_second']:>14,.0f}{entry['ratio_to_plain_copy']:>14.2f}"
        )
    path = write_result("load_history", outcome)
    print(f"wrote {path}")
    return outcome


if __name__ == "__main__":
    main()
