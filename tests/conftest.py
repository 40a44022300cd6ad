"""A real PostgreSQL for every test: PROMOTEROS_TEST_DATABASE_URL if set, else the embedded one.

The embedded test server is started once, by the pytest process that starts the workers
(``pytest_configure`` before xdist forks them), with a retry and a message saying what to do;
two workers racing through ``initdb`` of a new data directory broke every test of the loser.
It is stopped when the run ends if this run started it.

The schema is migrated once into a template database (named after a hash of the migration
files, so a changed migration gets a fresh template); each test gets its own database cloned
from it, which takes a fraction of a second and lets tests run in parallel (`pytest -n auto`).
"""

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

# Tests pin their own dates (2025, the simulated world's default present); the partitions must
# reach back that far whatever a demo anchored in this checkout's .promoteros.
os.environ["PROMOTEROS_HISTORY_START"] = "2025-01-01"

from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime import database
from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres, create_database
from tests.support.databases import throwaway_database

ROOT = Path(__file__).resolve().parents[1]
TEST_HOME = ROOT / ".promoteros" / "test"
TEMPLATE_LOCK = 724_001
START_ATTEMPTS = 3
TEST_DATABASE_URL_ENV = "PROMOTEROS_TEST_DATABASE_URL"
_STARTED_HERE = pytest.StashKey[bool]()


def _embedded() -> EmbeddedPostgres | None:
    return None if os.environ.get(TEST_DATABASE_URL_ENV) else EmbeddedPostgres(TEST_HOME)


def start_test_server(server: EmbeddedPostgres, attempts: int = START_ATTEMPTS) -> None:
    """Start (or reuse) the embedded test server, retrying a failed first start."""
    for attempt in range(1, attempts + 1):
        try:
            server.start()
            return
        except Exception as error:
            if attempt == attempts:
                log = server.pgdata / "log"
                tail = log.read_text(errors="replace")[-1500:] if log.is_file() else ""
                raise pytest.UsageError(
                    f"The embedded test PostgreSQL under {server.pgdata} did not start after "
                    f"{attempts} attempts: {error}\n{tail}\nRun `rm -rf {TEST_HOME}` to start "
                    f"from an empty data directory, or set {TEST_DATABASE_URL_ENV} to a server "
                    "the tests may create databases on."
                ) from error
            time.sleep(2 * attempt)


def pytest_configure(config: pytest.Config) -> None:
    server = _embedded()
    if server is None or hasattr(config, "workerinput"):  # xdist workers reuse the server
        return
    config.stash[_STARTED_HERE] = not server.is_running()
    start_test_server(server)


def pytest_unconfigure(config: pytest.Config) -> None:
    server = _embedded()
    if server is not None and config.stash.get(_STARTED_HERE, False):
        server.stop()


def _migrations_digest() -> str:
    digest = hashlib.sha256()
    versions = files("promoteros_pipelines") / "migrations" / "versions"
    for path in sorted(Path(str(versions)).glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of the maintenance database on the test server."""
    configured = os.environ.get(TEST_DATABASE_URL_ENV)
    if configured:
        return configured
    server = EmbeddedPostgres(TEST_HOME)
    if not server.is_running():  # stopped since the run began: one clear try, as above
        start_test_server(server, attempts=1)
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
