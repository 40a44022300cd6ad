"""The schema is created and removed only by migrations, in both directions."""

import psycopg

from promoteros_pipelines.runtime import database

CORE_TABLES = {
    "organisations",
    "recipients",
    "venues",
    "artists",
    "artist_platform_ids",
    "metric_observations",
    "webhook_events",
}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'promoteros'"
        ).fetchall()
    return {row[0] for row in rows}


def test_upgrade_from_empty_downgrade_to_base_and_upgrade_again(empty_database_url):
    assert not database.schema_status(empty_database_url).up_to_date
    database.upgrade(empty_database_url)
    status = database.schema_status(empty_database_url)
    assert status.up_to_date and status.current
    assert _tables(empty_database_url) >= CORE_TABLES

    database.downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) <= {"alembic_version"}
    assert database.schema_status(empty_database_url).current == ()

    database.upgrade(empty_database_url)
    assert _tables(empty_database_url) >= CORE_TABLES
    assert database.schema_status(empty_database_url).up_to_date


def test_upgrade_twice_is_a_no_op(database_url):
    before = database.schema_status(database_url)
    database.upgrade(database_url)
    assert database.schema_status(database_url) == before
