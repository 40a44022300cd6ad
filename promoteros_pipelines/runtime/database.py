"""One place that answers "which database?" and "is its schema current?" for every command."""

import logging
import os
from dataclasses import dataclass
from importlib.resources import files
from urllib.parse import urlsplit, urlunsplit

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres
from promoteros_pipelines.settings import (
    DAGSTER_DATABASE_URL_ENV,
    DAGSTER_STORAGE_URL_ENV,
    DATABASE_URL_ENV,
    ConfigurationError,
    configured_database_url,
    promoteros_home,
    redact,
    with_driver,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseTarget:
    """The warehouse URL, the Dagster storage URL, and whether we run the server ourselves."""

    warehouse_url: str
    dagster_url: str
    embedded: EmbeddedPostgres | None
    embedded_was_running: bool = False

    def export(self) -> None:
        """Put the URLs in this process's environment so Dagster children inherit them."""
        os.environ[DATABASE_URL_ENV] = self.warehouse_url
        os.environ[DAGSTER_STORAGE_URL_ENV] = with_driver(self.dagster_url, "psycopg2")
        os.environ.setdefault("PROMOTEROS_HOME", str(promoteros_home()))


def resolve_target(start_embedded: bool = True) -> DatabaseTarget:
    """Use PROMOTEROS_DATABASE_URL when set, else start (or reuse) the embedded server."""
    url = configured_database_url()
    if url:
        return DatabaseTarget(url, os.environ.get(DAGSTER_DATABASE_URL_ENV) or url, None)
    embedded = EmbeddedPostgres(promoteros_home())
    was_running = embedded.is_running()
    if start_embedded:
        embedded.start()
    return DatabaseTarget(
        embedded.url("promoteros"),
        os.environ.get(DAGSTER_DATABASE_URL_ENV) or embedded.url("dagster"),
        embedded,
        was_running,
    )


def check_reachable(url: str) -> None:
    """Fail with a message a person can act on when the server cannot be reached."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except (psycopg.OperationalError, psycopg.ProgrammingError) as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error)
        raise ConfigurationError(
            f"Cannot reach PostgreSQL at {redact(url)}: {reason}. Check {DATABASE_URL_ENV} "
            "(host, port, database, credentials), or unset it to use the embedded server."
        ) from error


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("promoteros_pipelines") / "migrations"))
    config.set_main_option("sqlalchemy.url", with_driver(url, "psycopg").replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    check_reachable(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    check_reachable(url)
    command.downgrade(alembic_config(url), revision)


@dataclass(frozen=True)
class SchemaStatus:
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)


def schema_status(url: str) -> SchemaStatus:
    check_reachable(url)
    script = ScriptDirectory.from_config(alembic_config(url))
    engine = create_engine(with_driver(url, "psycopg"), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table_schema": "promoteros"})
            current = tuple(sorted(context.get_current_heads()))
    finally:
        engine.dispose()
    return SchemaStatus(current=current, heads=tuple(sorted(script.get_heads())))


def ensure_ready(start_embedded: bool = True) -> DatabaseTarget:
    """Database up and migrated, URLs exported: what every long-running command needs first."""
    target = resolve_target(start_embedded)
    upgrade(target.warehouse_url)
    if target.embedded is None and target.dagster_url != target.warehouse_url:
        check_reachable(target.dagster_url)
    target.export()
    return target


def url_for_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
