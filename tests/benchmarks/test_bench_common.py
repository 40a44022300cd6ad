"""Benchmark set-up plumbing: a bulk load without indexes leaves the product's table as it was."""

import psycopg
import pytest

from benchmarks.common import without_indexes

CATALOGUE = """
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'promoteros.metric_observations'::regclass
UNION ALL
SELECT 'index', indexname, indexdef FROM pg_indexes
WHERE schemaname = 'promoteros' AND tablename = 'metric_observations'
ORDER BY 1, 2
"""
INSERT = (
    "INSERT INTO promoteros.metric_observations (artist_id, platform, metric, observed_at, value)"
    " VALUES (%s, 'spotify', 'followers', '2024-01-01T00:00Z', 1)"
)


def _artist(conn: psycopg.Connection) -> int:
    return conn.execute(
        "INSERT INTO promoteros.artists (name, normalized_name) VALUES ('A', 'a')"
        " RETURNING artist_id"
    ).fetchone()[0]


def test_the_table_has_its_keys_indexes_and_foreign_keys_again(database_url):
    with psycopg.connect(database_url) as conn:
        before = conn.execute(CATALOGUE).fetchall()
        artist = _artist(conn)
        with without_indexes(conn, "promoteros", "metric_observations"):
            assert not [row for row in conn.execute(CATALOGUE) if row[2].startswith("PRIMARY")]
            conn.execute(INSERT, (artist,))
        assert conn.execute(CATALOGUE).fetchall() == before
        with pytest.raises(psycopg.errors.UniqueViolation):  # the key holds again
            conn.execute(INSERT, (artist,))
    with psycopg.connect(database_url) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(INSERT, (artist + 1_000,))


def test_a_load_that_breaks_the_key_is_refused_when_the_key_is_built(database_url):
    with psycopg.connect(database_url) as conn:
        artist = _artist(conn)
        with (
            pytest.raises(psycopg.errors.UniqueViolation),
            without_indexes(conn, "promoteros", "metric_observations"),
        ):
            conn.execute(INSERT, (artist,))
            conn.execute(INSERT, (artist,))
