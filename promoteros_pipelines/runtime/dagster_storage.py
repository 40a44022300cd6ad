"""Dagster's own tables (runs, events, schedules), created once before any service starts.

Dagster creates them on first use, in every process that opens the instance. Several processes
doing that at once on an empty database can fail: dagster-postgres creates ``instance_info``
without its retry, so one of a fleet of Celery workers started together exited with a
UniqueViolation, and the run waiting on that worker's queue waited forever. Creating them in
one process first, under an advisory lock so that two promoteros commands do not race either,
leaves every later process nothing to create.
"""

import psycopg

from promoteros_pipelines.settings import with_driver

LOCK_KEY = "promoteros.dagster_storage"


def ensure_dagster_storage(dagster_url: str) -> None:
    """Create Dagster's tables in ``dagster_url``'s database if they are missing.

    DAGSTER_HOME (our dagster.yaml) and PROMOTEROS_DAGSTER_STORAGE_URL must already be set
    (``ensure_dagster_home``, ``DatabaseTarget.export``).
    """
    from dagster import DagsterInstance  # a heavy import, only for the commands that need it

    with psycopg.connect(with_driver(dagster_url, None), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (LOCK_KEY,))
        try:
            with DagsterInstance.get():  # opening the instance creates what is missing
                pass
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (LOCK_KEY,))
