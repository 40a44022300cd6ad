"""A PostgreSQL server of the fault tests' own, which they kill; a fresh database per test.

These tests are marked ``chaos`` and run by ``make chaos`` (one at a time: they kill shared
processes and load the machine), not by ``make test``.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_tools import KillablePostgres

from promoteros_pipelines.runtime import database
from tests.support.databases import throwaway_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def killable_postgres() -> Iterator[KillablePostgres]:
    # beside the tests' own server (a path the server's system user can reach, short enough
    # for PostgreSQL's socket), one per pytest process
    home = ROOT / ".promoteros" / f"chaos-{os.getpid()}"
    server = KillablePostgres(home)
    server.start()
    try:
        yield server
    finally:
        if server.server.is_running():
            server.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def chaos_database_url(killable_postgres: KillablePostgres) -> Iterator[str]:
    """A migrated database on the killable server (which is up when the test starts)."""
    if not killable_postgres.server.is_running():
        killable_postgres.start()
    with throwaway_database(killable_postgres.url(), "promoteros_chaos") as url:
        database.upgrade(url)
        yield url
        if not killable_postgres.server.is_running():
            killable_postgres.start()  # so the database can be dropped
