"""Migration 0100: metric_observations becomes range-partitioned by month without losing a row,
keeps its key and indexes, accepts writes for any month, and goes back the same way."""

import datetime as dt

import psycopg
import pytest

from promoteros_pipelines.runtime import database

BEFORE = "0090_booking"
HEAD = "0100_observation_partitions"
UTC = dt.UTC
TOTALS = (
    "SELECT count(*), sum(value::numeric), sum(artist_id), sum(extract(epoch FROM observed_at)),"
    " count(DISTINCT source) FROM promoteros.metric_observations"
)


def _seed(url: str) -> None:
    with psycopg.connect(url) as conn:
        ids = [
            conn.execute(
                "INSERT INTO promoteros.artists (name, normalized_name) VALUES (%s, %s)"
                " RETURNING artist_id",
                (f"Artist {n}", f"artist {n}"),
            ).fetchone()[0]
            for n in range(3)
        ]
        times = [
            dt.datetime(2019, 3, 31, 23, 59, 59, tzinfo=UTC),  # far back, a month boundary
            dt.datetime(2025, 1, 1, tzinfo=UTC),
            dt.datetime(2025, 1, 31, 23, 30, tzinfo=UTC),
            dt.datetime(2025, 2, 14, 12, tzinfo=UTC),
            dt.datetime(2025, 6, 1, 0, 0, 1, tzinfo=UTC),
        ]
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO promoteros.metric_observations"
                " (artist_id, platform, metric, observed_at, value, source) VALUES"
                " (%s, %s, %s, %s, %s, %s)",
                [
                    (a, platform, "followers", t, 1000.5 * (i + 1) + a / 3, source)
                    for a in ids
                    for i, t in enumerate(times)
                    for platform, source in (("spotify", "api"), ("youtube", "scraper"))
                ],
            )


def _partitions(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'promoteros.metric_observations'::regclass"
        ).fetchall()
    return dict(rows)


def _indexes(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'promoteros'"
            " AND tablename = 'metric_observations'"
        ).fetchall()
    return {r[0] for r in rows}


def _totals(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(TOTALS).fetchone()


def test_upgrade_moves_every_row_into_monthly_partitions_and_back(empty_database_url: str):
    url = empty_database_url
    database.upgrade(url, BEFORE)
    _seed(url)
    before = _totals(url)
    assert before[0] == 30

    database.upgrade(url, HEAD)

    assert _totals(url) == before
    partitions = _partitions(url)
    for month in ("2019_03", "2025_01", "2025_02", "2025_06"):
        assert f"metric_observations_p{month}" in partitions
    assert partitions["metric_observations_default"] == "DEFAULT"
    assert _indexes(url) == {
        "metric_observations_pkey",
        "metric_observations_observed_at_idx",
        "metric_observations_ingested_at_idx",
    }
    with psycopg.connect(url) as conn:
        kind = conn.execute(
            "SELECT relkind FROM pg_class WHERE oid = 'promoteros.metric_observations'::regclass"
        ).fetchone()[0]
        assert kind == "p"
        per_partition = dict(
            conn.execute(
                "SELECT tableoid::regclass::text, count(*) FROM promoteros.metric_observations"
                " GROUP BY 1"
            ).fetchall()
        )
        # the 23:30 on 31 January stays in January: months are UTC
        assert per_partition["promoteros.metric_observations_p2025_01"] == 12
        assert "promoteros.metric_observations_default" not in per_partition

    database.downgrade(url, BEFORE)
    assert _totals(url) == before
    assert _indexes(url) == {
        "metric_observations_pkey",
        "metric_observations_observed_at_idx",
        "metric_observations_ingested_at_idx",
    }
    with psycopg.connect(url) as conn:
        kind = conn.execute(
            "SELECT relkind FROM pg_class WHERE oid = 'promoteros.metric_observations'::regclass"
        ).fetchone()[0]
        assert kind == "r"


def test_writes_to_any_month_land_and_upserts_still_conflict_on_the_key(database_url: str):
    with psycopg.connect(database_url) as conn:
        artist = conn.execute(
            "INSERT INTO promoteros.artists (name, normalized_name) VALUES ('A', 'a')"
            " RETURNING artist_id"
        ).fetchone()[0]
        far = dt.datetime(2041, 5, 5, tzinfo=UTC)  # no partition: the default one takes it
        for value in (1.0, 2.0):
            conn.execute(
                "INSERT INTO promoteros.metric_observations"
                " (artist_id, platform, metric, observed_at, value) VALUES (%s, 'spotify',"
                " 'followers', %s, %s) ON CONFLICT (artist_id, platform, metric, observed_at)"
                " DO UPDATE SET value = EXCLUDED.value",
                (artist, far, value),
            )
        row = conn.execute(
            "SELECT tableoid::regclass::text, value FROM promoteros.metric_observations"
        ).fetchall()
        assert row == [("promoteros.metric_observations_default", 2.0)]
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO promoteros.metric_observations"
                " (artist_id, platform, metric, observed_at, value) VALUES (%s, 'spotify',"
                " 'followers', %s, 3)",
                (artist, far),
            )
