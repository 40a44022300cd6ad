"""Ingestion: 1,000,000 observations into ``metric_observations`` through the project's path.

Compared in the same run, on the same table, with the same rows:
* ``plain_copy``: one binary COPY straight into the table (the physical limit here);
* ``project_upsert``: ``PostgresWarehouse.upsert`` on the natural key (what
  ``platform_metrics`` uses: COPY into a staging table, then INSERT .. ON CONFLICT);
* ``executemany``: row-by-row parameterised INSERTs (the naive baseline; run on a slice
  and reported as rows/s, since a million would take minutes).
Target from the issue: project_upsert >= 0.5x plain_copy.
"""

import argparse
import datetime as dt

import numpy as np
import polars as pl
import psycopg

from benchmarks.common import scratch_database, timed, write_result
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

KEY = ["artist_id", "platform", "metric", "observed_at"]
PLATFORMS = ["spotify", "youtube", "tiktok", "instagram"]


def observations(rows: int, artists: int) -> pl.DataFrame:
    """Canonical observations: each artist on four platforms, followers every 6 hours."""
    per_series = rows // (artists * len(PLATFORMS))
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rng = np.random.default_rng(1)
    frame = (
        pl.DataFrame({"artist_id": pl.int_range(1, artists + 1, eager=True)})
        .join(pl.DataFrame({"platform": PLATFORMS}), how="cross")
        .join(pl.DataFrame({"step": pl.int_range(0, per_series, eager=True)}), how="cross")
        .select(
            "artist_id",
            "platform",
            pl.lit("followers").alias("metric"),
            (pl.lit(start) + pl.duration(hours=6 * pl.col("step"))).alias("observed_at"),
        )
    )
    return frame.with_columns(
        pl.Series("value", rng.integers(100, 5_000_000, frame.height).astype(np.float64)),
        pl.lit("api").alias("source"),
    )


def _prepare(url: str, artists: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO promoteros.artists (name, normalized_name)"
            " SELECT 'artist ' || g, 'artist ' || g FROM generate_series(1, %s) AS g",
            (artists,),
        )


def _truncate(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("TRUNCATE promoteros.metric_observations")
        conn.execute("CHECKPOINT")


def run(rows: int, artists: int, naive_rows: int) -> dict:
    frame = observations(rows, artists)
    results: dict[str, dict] = {}
    with scratch_database() as url:
        _prepare(url, artists)
        warehouse = PostgresWarehouse(database_url=url)

        _truncate(url)
        with timed() as t:
            warehouse.append("metric_observations", frame)
        results["plain_copy"] = {"rows": frame.height, "seconds": t["seconds"]}

        _truncate(url)
        with timed() as t:
            warehouse.upsert("metric_observations", frame, key=KEY, update=["value", "source"])
        results["project_upsert"] = {"rows": frame.height, "seconds": t["seconds"]}
        with timed() as t:
            unchanged = warehouse.upsert(
                "metric_observations", frame, key=KEY, update=["value", "source"]
            )
        results["project_upsert_rerun"] = {
            "rows": frame.height,
            "seconds": t["seconds"],
            "rows_changed": unchanged,
        }

        _truncate(url)
        naive = frame.head(naive_rows)
        with timed() as t, psycopg.connect(url) as conn, conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO promoteros.metric_observations"
                " (artist_id, platform, metric, observed_at, value, source)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                naive.rows(),
            )
        results["executemany"] = {"rows": naive.height, "seconds": t["seconds"]}

    for entry in results.values():
        entry["rows_per_second"] = entry["rows"] / entry["seconds"]
    copy_rate = results["plain_copy"]["rows_per_second"]
    for entry in results.values():
        entry["ratio_to_plain_copy"] = entry["rows_per_second"] / copy_rate
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--artists", type=int, default=10_000)
    parser.add_argument("--naive-rows", type=int, default=50_000)
    args = parser.parse_args(argv)
    results = run(args.rows, args.artists, args.naive_rows)
    print(f"{'path':<22}{'rows':>12}{'seconds':>10}{'rows/s':>14}{'x plain COPY':>14}")
    for name, entry in results.items():
        print(
            f"{name:<22}{entry['rows']:>12,}{entry['seconds']:>10.2f}"
            f"{entry['rows_per_second']:>14,.0f}{entry['ratio_to_plain_copy']:>14.2f}"
        )
    target = results["project_upsert"]["ratio_to_plain_copy"] >= 0.5
    print(f"target project_upsert >= 0.5x plain COPY: {'met' if target else 'NOT met'}")
    path = write_result("ingest_observations", {"results": results, "target_met": target})
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
