"""Dagster's tables made once, before the services that would otherwise race to make them."""

from concurrent.futures import ThreadPoolExecutor

import psycopg
from dagster import DagsterInstance

from promoteros_pipelines.runtime.dagster_home import dagster_yaml
from promoteros_pipelines.runtime.dagster_storage import ensure_dagster_storage
from promoteros_pipelines.settings import DAGSTER_STORAGE_URL_ENV, with_driver

DAGSTER_TABLES = {"runs", "event_logs", "instance_info", "jobs", "kvs"}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {name for (name,) in rows}


def test_commands_started_together_on_an_empty_database_make_the_tables_once(
    empty_database_url, tmp_path, monkeypatch
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(DAGSTER_STORAGE_URL_ENV, with_driver(empty_database_url, "psycopg2"))
    assert not _tables(empty_database_url) & DAGSTER_TABLES

    with ThreadPoolExecutor(3) as pool:  # three commands at once: each waits for the lock
        list(pool.map(lambda _: ensure_dagster_storage(empty_database_url), range(3)))

    assert _tables(empty_database_url) >= DAGSTER_TABLES
    ensure_dagster_storage(empty_database_url)  # again: nothing left to make, no error
    with DagsterInstance.get() as instance:  # what a worker opens next finds a usable storage
        assert instance.get_runs(limit=1) == []
