"""Where the project keeps its state and how it finds its databases, read from the environment.

Every command honours the same variables, so the CLI, the Dagster processes it starts, the
ingress and the tests all agree on one database:

* ``PROMOTEROS_HOME``: state directory (embedded PostgreSQL, Dagster home, outbox), default
  ``.promoteros`` in the current directory.
* ``PROMOTEROS_DATABASE_URL``: a PostgreSQL 14+ URL for the warehouse; unset means "use the
  embedded server under PROMOTEROS_HOME".
* ``PROMOTEROS_DAGSTER_DATABASE_URL``: where Dagster keeps runs, events and schedules; defaults
  to the ``dagster`` database of the embedded server, or to PROMOTEROS_DATABASE_URL when set.
* ``DAGSTER_HOME``: default ``$PROMOTEROS_HOME/dagster``.
* ``PROMOTEROS_HISTORY_START``: the first UTC day the warehouse holds metrics for (ISO date);
  time partitions start there. Unset: where the simulated world's history starts when a demo
  or ``promoteros dev`` anchored one in this home, else ``DEFAULT_HISTORY_START``.
"""

import datetime as dt
import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HOME_ENV = "PROMOTEROS_HOME"
DATABASE_URL_ENV = "PROMOTEROS_DATABASE_URL"
DAGSTER_DATABASE_URL_ENV = "PROMOTEROS_DAGSTER_DATABASE_URL"
DAGSTER_STORAGE_URL_ENV = "PROMOTEROS_DAGSTER_STORAGE_URL"
HISTORY_START_ENV = "PROMOTEROS_HISTORY_START"
DEFAULT_HISTORY_START = dt.date(2025, 1, 1)
SIMULATED_WORLD_FILE = "simulated-world.json"


class ConfigurationError(RuntimeError):
    """A setting a person must fix; the message says which one and how."""


def promoteros_home() -> Path:
    return Path(os.environ.get(HOME_ENV) or ".promoteros").expanduser().resolve()


def dagster_home() -> Path:
    configured = os.environ.get("DAGSTER_HOME")
    return Path(configured).expanduser().resolve() if configured else promoteros_home() / "dagster"


def history_start() -> dt.date:
    """First day of the partitions: PROMOTEROS_HISTORY_START, else the start of this home's
    simulated history, else ``DEFAULT_HISTORY_START``.

    Dagster fixes partition starts when the code location loads, so a deployment chooses its
    start once: the day it began collecting (earlier days would read as missing forever).
    """
    configured = os.environ.get(HISTORY_START_ENV, "").strip()
    if configured:
        try:
            return dt.date.fromisoformat(configured)
        except ValueError:
            raise ConfigurationError(
                f"{HISTORY_START_ENV}={configured!r} is not a date; use the first day the "
                "warehouse holds metrics for, e.g. 2026-01-01."
            ) from None
    anchored = promoteros_home() / SIMULATED_WORLD_FILE  # see runtime/simulated_world.py
    if not anchored.exists():
        return DEFAULT_HISTORY_START
    try:
        return dt.date.fromisoformat(json.loads(anchored.read_text())["history_start"])
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(
            f"{anchored} is not a simulated-world file ({error}); delete it and run "
            "`promoteros demo` again to anchor a new world."
        ) from error


def configured_database_url() -> str | None:
    url = os.environ.get(DATABASE_URL_ENV) or None
    if url:
        with_driver(url, None)  # refuses anything that is not a PostgreSQL URL
    return url


def with_driver(url: str, driver: str | None) -> str:
    """Return ``url`` with an explicit SQLAlchemy driver (``psycopg``, ``psycopg2``) or none.

    dagster-postgres must get ``postgresql+psycopg2://``: with psycopg 3 installed, SQLAlchemy
    2.1 picks it for a bare ``postgresql://`` and dagster's NOTIFY statement then fails.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    if scheme != "postgresql":
        raise ConfigurationError(
            f"Database URL must start with postgresql:// (got {parts.scheme}://); "
            f"check {DATABASE_URL_ENV}."
        )
    return urlunsplit(parts._replace(scheme=f"{scheme}+{driver}" if driver else scheme))


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
