"""Sign-in for the Dagster UI: its settings, the user store in our PostgreSQL, the local admin.

dagster-authkit does the signing in (login page, signed session cookies, a role check on every
GraphQL request and on the GraphQL WebSocket); ``runtime/ui_server.py`` starts it with our four
roles. This module says where its users live and which secret signs its cookies:

* ``PROMOTEROS_UI_AUTH``: ``off`` serves the UI without sign-in (anyone who reaches the port
  may launch, terminate and wipe); default on.
* ``PROMOTEROS_UI_SECRET_KEY``: signs the session cookies. Required by ``promoteros ui`` (the
  production way to serve the UI); ``promoteros dev`` makes one per PROMOTEROS_HOME.

Users live in the warehouse database, schema ``ui_auth``, table ``users`` (authkit creates and
upgrades its own table there: it is authkit's, not a warehouse table, so no migration of ours
touches it). Passwords are stored as bcrypt hashes.
"""

import contextlib
import logging
import os
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg

from promoteros_pipelines.runtime.ui_roles import (
    ADMIN,
    AUTHKIT_LEVELS,
    ROLES,
    role_for_level,
)
from promoteros_pipelines.settings import ConfigurationError, with_driver

UI_AUTH_ENV = "PROMOTEROS_UI_AUTH"
UI_SECRET_KEY_ENV = "PROMOTEROS_UI_SECRET_KEY"
USER_STORE_SCHEMA = "ui_auth"
LOCAL_ADMIN = "admin"
ADMIN_PASSWORD_FILE = "ui-admin-password"
SECRET_KEY_FILE = "ui-secret-key"
MIN_SECRET_LENGTH = 32
# authkit keeps letters, digits, '_', '-' and '.' of a user name and drops the rest
USERNAME_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def auth_enabled() -> bool:
    value = os.environ.get(UI_AUTH_ENV, "on").strip().lower()
    if value in ("off", "false", "0", "no"):
        return False
    if value in ("on", "true", "1", "yes", ""):
        return True
    raise ConfigurationError(f"{UI_AUTH_ENV}={value!r}: use on (the default) or off.")


def production_secret_key() -> str:
    """The cookie-signing secret a production UI must be given; refuse to start without it."""
    key = os.environ.get(UI_SECRET_KEY_ENV, "").strip()
    if len(key) < MIN_SECRET_LENGTH:
        problem = "is not set" if not key else f"is shorter than {MIN_SECRET_LENGTH} characters"
        raise ConfigurationError(
            f"{UI_SECRET_KEY_ENV} {problem}, so the Dagster UI was not started: it signs the "
            "sign-in cookies, and a made-up key would sign everyone out at every restart and "
            "differ between replicas. Set it to a long random value kept with your other "
            "secrets, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'` (or "
            f"{UI_AUTH_ENV}=off to serve the UI without sign-in behind your own)."
        )
    return key


def _home_secret(path: Path, length: int) -> str:
    """A random value kept in a file of PROMOTEROS_HOME readable only by its owner."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(length))
    return path.read_text().strip()


def local_secret_key(home: Path) -> str:
    """``promoteros dev``'s secret: the environment's if set, else one kept in the home."""
    return os.environ.get(UI_SECRET_KEY_ENV, "").strip() or _home_secret(home / SECRET_KEY_FILE, 48)


def user_store_url(warehouse_url: str) -> str:
    """The warehouse URL as authkit's database layer (peewee) reads it, on schema ui_auth."""
    parts = urlsplit(with_driver(warehouse_url, None))
    query = [*parse_qsl(parts.query, keep_blank_values=True)]
    query.append(("options", f"-csearch_path={USER_STORE_SCHEMA}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def server_environment(warehouse_url: str, secret_key: str, *, local: bool) -> dict[str, str]:
    """The DAGSTER_AUTH_* variables for the UI process (authkit reads them at import).

    ``local``: served on this machine over plain HTTP (``promoteros dev``), so the cookie
    may not demand HTTPS; a production UI sits behind TLS and keeps authkit's secure cookie
    unless DAGSTER_AUTH_COOKIE_SECURE says otherwise.
    """
    environment = {
        "DAGSTER_AUTH_BACKEND": "sql",
        "DAGSTER_AUTH_DATABASE_URL": user_store_url(warehouse_url),
        "DAGSTER_AUTH_SECRET_KEY": secret_key,
        "DAGSTER_AUTH_ENV": "development" if local else "production",
        # a mutation nobody has placed in ui_roles.MUTATION_ROLES needs an Admin
        "DAGSTER_AUTH_UNKNOWN_MUTATION_ROLE": "ADMIN",
        # Dagster's REST writes (e.g. /report_asset_materialization) are Developer actions
        "DAGSTER_AUTH_REST_WRITE_ROLE": "EDITOR",
    }
    if local:
        environment["DAGSTER_AUTH_COOKIE_SECURE"] = "false"
    return environment


@dataclass(frozen=True)
class UiUser:
    username: str
    role: str
    email: str
    full_name: str


def _authkit_backend(url: str) -> Any:
    """authkit's SQL user store; its package reads a signing key at import, which the user
    commands never use (they sign nothing), so a throwaway one stands in when none is set.
    Its audit lines (one JSON object per change) go to stderr, beside our own messages."""
    os.environ.setdefault("DAGSTER_AUTH_SECRET_KEY", secrets.token_urlsafe(32))
    logging.getLogger("dagster_authkit").setLevel(logging.WARNING)
    from dagster_authkit.auth.backends.sql import PeeweeAuthBackend
    from dagster_authkit.utils import audit

    for handler in audit.audit_logger.handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)

    return PeeweeAuthBackend({"DAGSTER_AUTH_DATABASE_URL": url})


class UserStore:
    """The people who may sign in to the UI, and their roles."""

    def __init__(self, warehouse_url: str) -> None:
        with psycopg.connect(warehouse_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {USER_STORE_SCHEMA}")
        self._backend = _authkit_backend(user_store_url(warehouse_url))
        from dagster_authkit.auth.backends.base import Role
        from dagster_authkit.auth.backends.sql import UserTable

        self._role_enum = Role
        self._table = UserTable

    def close(self) -> None:
        self._backend.db.close()

    def _level(self, role: str) -> Any:
        return self._role_enum(AUTHKIT_LEVELS[role])

    def list(self) -> list[UiUser]:
        return sorted(
            (
                UiUser(u.username, role_for_level(int(u.role)), u.email or "", u.full_name or "")
                for u in self._backend.list_users()
            ),
            key=lambda user: (-ROLES.index(user.role), user.username),
        )

    def get(self, username: str) -> UiUser | None:
        return next((user for user in self.list() if user.username == username), None)

    def add(
        self, username: str, password: str, role: str, email: str = "", full_name: str = ""
    ) -> None:
        """Create a person (or bring back one removed earlier, with the new password)."""
        if not username or not set(username) <= USERNAME_CHARACTERS or len(username) > 100:
            raise ConfigurationError(
                f"{username!r} cannot be a user name: use letters, digits, '.', '_' and '-' "
                "(at most 100), e.g. ana.lopez"
            )
        if len(password) < 12:
            raise ConfigurationError("A password needs at least 12 characters.")
        if self.get(username) is not None:
            raise ConfigurationError(f"{username} already exists; use `promoteros users set-role`.")
        removed = self._table.get_or_none(self._table.username == username)
        if removed is not None:
            from dagster_authkit.auth.security import SecurityHardening

            removed.password_hash = SecurityHardening.hash_password(password)
            removed.role_value, removed.is_active = AUTHKIT_LEVELS[role], True
            removed.email, removed.full_name = email, full_name
            removed.save()
            return
        if not self._backend.add_user(username, password, self._level(role), email, full_name):
            raise ConfigurationError(f"{username} could not be added; see the log above.")

    def set_role(self, username: str, role: str) -> None:
        """Change a person's role; their open sessions end within 10 seconds (they sign in
        again)."""
        current = self._existing(username)
        if current.role == ADMIN and role != ADMIN:
            self._keep_an_admin(username)
        self._backend.change_role(username, self._level(role))

    def remove(self, username: str) -> None:
        """Stop a person from signing in; their open sessions end within 10 seconds."""
        if self._existing(username).role == ADMIN:
            self._keep_an_admin(username)
        self._backend.delete_user(username)

    def _existing(self, username: str) -> UiUser:
        user = self.get(username)
        if user is None:
            raise ConfigurationError(f"No user {username}; `promoteros users list` shows them.")
        return user

    def _keep_an_admin(self, leaving: str) -> None:
        if not [u for u in self.list() if u.role == ADMIN and u.username != leaving]:
            raise ConfigurationError(
                f"{leaving} is the last Admin: make someone else Admin first, or nobody could "
                "manage users any more."
            )


@contextlib.contextmanager
def user_store(warehouse_url: str) -> Iterator[UserStore]:
    store = UserStore(warehouse_url)
    try:
        yield store
    finally:
        store.close()


@dataclass(frozen=True)
class LocalAdmin:
    username: str
    password: str | None  # None: the admin existed already and its password was changed
    password_file: Path


def ensure_local_admin(warehouse_url: str, home: Path) -> LocalAdmin:
    """An Admin named ``admin`` for this machine, its password kept in the home (mode 0600).

    Made once; later calls return the kept password while it still signs in.
    """
    password_file = home / ADMIN_PASSWORD_FILE
    with user_store(warehouse_url) as store:
        existing = store.get(LOCAL_ADMIN)
        if existing is None:
            password_file.unlink(missing_ok=True)
            password = _home_secret(password_file, 18)
            store.add(LOCAL_ADMIN, password, ADMIN, full_name="Local administrator")
            return LocalAdmin(LOCAL_ADMIN, password, password_file)
        kept = password_file.read_text().strip() if password_file.exists() else None
        if kept and store._backend.authenticate(LOCAL_ADMIN, kept) is not None:
            return LocalAdmin(LOCAL_ADMIN, kept, password_file)
        return LocalAdmin(LOCAL_ADMIN, None, password_file)
