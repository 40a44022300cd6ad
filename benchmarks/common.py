"""Shared benchmark plumbing: a throw-away migrated database, timing, and JSON results.

Every benchmark prints its figures beside a baseline measured in the same run (a ratio) and
writes them to ``benchmarks/results/<name>.json`` (or under $PROMOTEROS_BENCH_RESULTS).
"""

import json
import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from promoteros_pipelines.runtime import database
from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres
from tests.support.databases import throwaway_database

RESULTS_ENV = "PROMOTEROS_BENCH_RESULTS"
"""Where the results go when set (the suite's --results, a test's temporary folder)."""
RESULTS = Path(os.environ.get(RESULTS_ENV) or Path(__file__).resolve().parent / "results")
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def _server_url() -> Iterator[str]:
    """PROMOTEROS_TEST_DATABASE_URL, or the benchmarks' own embedded server, stopped again
    afterwards unless it was already running."""
    configured = os.environ.get("PROMOTEROS_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    server = EmbeddedPostgres(ROOT / ".promoteros" / "bench")
    was_running = server.is_running()
    server.start()
    try:
        yield server.url("postgres")
    finally:
        if not was_running:
            server.stop()


@contextmanager
def scratch_database() -> Iterator[str]:
    """A freshly migrated database, dropped afterwards."""
    with (
        _server_url() as server,
        throwaway_database(server, "promoteros_bench") as url,
    ):
        database.upgrade(url)
        yield url


@contextmanager
def without_indexes(conn: psycopg.Connection, schema: str, table: str) -> Iterator[None]:
    """A set-up's bulk load into ``schema.table`` without its indexes and foreign keys, which
    are then built again from the same definitions (read from the catalogue), so the table a
    benchmark measures is the product's own. Per-row index upkeep and foreign-key checks made
    two 10M-row set-ups take 60-80 s each; building the indexes once after the load is
    PostgreSQL's own advice for a bulk load ("Populating a Database")."""
    qualified = f"{schema}.{table}"
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype DESC",
        (qualified,),
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.conrelid = x.indrelid)",
        (qualified,),
    ).fetchall()
    target = sql.Identifier(schema, table)
    for name, _ in reversed(constraints):  # foreign keys first, then the keys they may use
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(target, sql.Identifier(name))
        )
    for name, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, name)))
    yield
    for _, definition in indexes:  # "ON ONLY" would build the parent's index alone
        conn.execute(definition.replace(" ON ONLY ", " ON "))
    for name, definition in constraints:  # keys first, then the foreign keys using them
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(target, sql.Identifier(name))
            + sql.SQL(definition)
        )


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        # the suite checks this to never report a stale file from an earlier run as this one's
        "finished_at": time.time(),
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path
