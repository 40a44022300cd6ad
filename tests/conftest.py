"""A real PostgreSQL for every test: PROMOTEROS_TEST_DATABASE_URL if set, else the embedded one.

The schema is migrated once into a template database (named after a hash of the migration
files, so a changed migration gets a fresh template); each test gets its own database cloned
from it, which takes a fraction of a second and lets tests run in parallel (`pytest -n auto`).
"""

import hashlib
import os
import uuid
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime import database
from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres, create_database
from tests.support.databases import throwaway_database

ROOT = Path(__file__).resolve().parents[1]
TEST_HOME = ROOT / ".promoteros" / "test"
TEMPLATE_LOCK = 724_001


def _migrations_digest() -> str:
    digest = hashlib.sha256()
    versions = files("promoteros_pipelines") / "migrations" / "versions"
    for path in sorted(Path(str(versions)).glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of the maintenance database on the test server."""
    configured = os.environ.get("PROMOTEROS_TEST_DATABASE_URL")
    if configured:
        return configured
    server = EmbeddedPostgres(TEST_HOME)
    server.start()
    return server.url("postgres")


@pytest.fixture(scope="session")
def template_database(server_url: str) -> str:
    name = f"promoteros_template_{_migrations_digest()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (TEMPLATE_LOCK,))
        try:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                building = f"{name}_building_{uuid.uuid4().hex[:6]}"
                create_database(conn, building)
                database.upgrade(database.url_for_database(server_url, building))
                conn.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(building), sql.Identifier(name)
                    )
                )
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (TEMPLATE_LOCK,))
    return name


@pytest.fixture
def database_url(server_url: str, template_database: str) -> Iterator[str]:
    """A fresh database with the whole schema migrated, dropped after the test."""
    with throwaway_database(server_url, "promoteros_test", template_database) as url:
        yield url


@pytest.fixture
def empty_database_url(server_url: str) -> Iterator[str]:
    """A fresh, empty database (no schema), for migration tests."""
    with throwaway_database(server_url, "promoteros_test") as url:
        yield url


@pytest.fixture
def warehouse(database_url: str) -> PostgresWarehouse:
    return PostgresWarehouse(database_url=database_url)
