"""Dagster's tables made once, before the services that would otherwise race to make them."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
from dagster import DagsterInstance

from promoteros_pipelines.runtime.dagster_home import dagster_yaml
from promoteros_pipelines.runtime.dagster_storage import LOCK_KEY, ensure_dagster_storage
from promoteros_pipelines.settings import DAGSTER_STORAGE_URL_ENV, with_driver

DAGSTER_TABLES = {"runs", "event_logs", "instance_info", "jobs", "kvs"}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {name for (name,) in rows}


def _use_storage(url: str, tmp_path, monkeypatch) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(DAGSTER_STORAGE_URL_ENV, with_driver(url, "psycopg2"))


def _waiting_on_an_advisory_lock(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        ).fetchone()
    return bool(row and row[0])


def test_commands_started_together_on_an_empty_database_make_the_tables_once(
    empty_database_url, tmp_path, monkeypatch
):
    _use_storage(empty_database_url, tmp_path, monkeypatch)
    assert not _tables(empty_database_url) & DAGSTER_TABLES

    with ThreadPoolExecutor(3) as pool:  # three commands at once: each waits for the lock
        list(pool.map(lambda _: ensure_dagster_storage(empty_database_url), range(3)))

    assert _tables(empty_database_url) >= DAGSTER_TABLES
    ensure_dagster_storage(empty_database_url)  # again: nothing left to make, no error
    with DagsterInstance.get() as instance:  # what a worker opens next finds a usable storage
        assert instance.get_runs(limit=1) == []


def test_a_command_waits_while_another_holds_the_lock(empty_database_url, tmp_path, monkeypatch):
    _use_storage(empty_database_url, tmp_path, monkeypatch)
    with psycopg.connect(empty_database_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", (LOCK_KEY,))
        second = threading.Thread(target=ensure_dagster_storage, args=(empty_database_url,))
        second.start()
        deadline = time.monotonic() + 30
        while not _waiting_on_an_advisory_lock(empty_database_url):
            assert time.monotonic() < deadline, "the second command never waited for the lock"
            time.sleep(0.1)
        assert not _tables(empty_database_url) & DAGSTER_TABLES  # nothing made meanwhile
        other.execute("SELECT pg_advisory_unlock(hashtext(%s))", (LOCK_KEY,))
    second.join(timeout=120)
    assert not second.is_alive()
    assert _tables(empty_database_url) >= DAGSTER_TABLES
