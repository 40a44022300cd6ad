"""Shared benchmark plumbing: a throw-away migrated database, timing, and JSON results.

Every benchmark prints its figures beside a baseline measured in the same run (a ratio) and
writes them to ``benchmarks/results/<name>.json``.
"""

import json
import os
import platform
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from promoteros_pipelines.runtime import database
from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres, create_database

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]


def _server_url() -> str:
    configured = os.environ.get("PROMOTEROS_TEST_DATABASE_URL")
    if configured:
        return configured
    server = EmbeddedPostgres(ROOT / ".promoteros" / "bench")
    server.start()
    return server.url("postgres")


@contextmanager
def scratch_database() -> Iterator[str]:
    """A freshly migrated database, dropped afterwards."""
    server = _server_url()
    name = f"promoteros_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        create_database(conn, name)
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    try:
        database.upgrade(url)
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
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
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path
