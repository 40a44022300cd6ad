"""Throwaway databases for tests and benchmarks (never used by the product itself)."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from promoteros_pipelines.runtime.database import url_for_database
from promoteros_pipelines.runtime.embedded_postgres import create_database


@contextmanager
def throwaway_database(server_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database (copied from ``template`` if given) on ``server_url``'s server, dropped
    afterwards even if connections are still open; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        create_database(conn, name, template=template)
    try:
        yield url_for_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
