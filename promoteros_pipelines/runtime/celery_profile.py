"""The Celery deployment profile: the same code location, its jobs' steps on Celery workers.

Set PROMOTEROS_CELERY_BROKER_URL (``redis://host:6379/0`` or ``amqp://...``) where the code
location, the run workers and the Celery workers run, and every job without an executor of its
own runs its steps as Celery tasks (``dagster-celery``'s executor; results go back through the
broker). Runs are still launched by the daemon's default run launcher: dagster-celery's
``CeleryRunLauncher`` combined with its executor fails ("Never call result.get() within a
task"), so the profile never uses it. Outputs do not travel between machines: every asset
writes its rows to PostgreSQL and returns only metadata, so the local-storage pitfall of
remote workers does not apply.

Queues: one per platform API (``platform-api-spotify``, ``-youtube``, ``-tiktok``,
``-instagram``), everything else on ``dagster``. ``platform_metrics`` becomes one step per
platform in this profile, each on its platform's queue; discovery (``trending_candidates``,
three chart requests, and ``tracked_artists``, Spotify's genres) goes to the Spotify queue.
Start exactly one worker process with ``--concurrency 1`` per platform queue in the whole
fleet and each platform's rate limit holds across machines, while the four platforms are
pulled at the same time. No Dagster import here: the CLI, the tests and definitions.py read
these names.
"""

import os
import shutil
import sys
from pathlib import Path

BROKER_ENV = "PROMOTEROS_CELERY_BROKER_URL"
RUN_BROKER_ENV = "PROMOTEROS_CELERY_RUN_BROKER_URL"
"""The broker of the warm-worker run launcher (``run_launcher_yaml``). Not BROKER_ENV on
purpose: BROKER_ENV also puts the steps of every job without an executor of its own on Celery,
and a run that is itself a Celery task then waits on its own steps' tasks (the pitfall "Never
call result.get() within a task"; with one worker, a run of ``alert_delivery`` waited forever
and every run after it with it)."""
QUEUE_TAG = "dagster-celery/queue"  # dagster_celery.tags.DAGSTER_CELERY_QUEUE_TAG
DEFAULT_QUEUE = "dagster"
PLATFORMS = ("spotify", "youtube", "tiktok", "instagram")


def platform_queue(platform: str) -> str:
    """The queue of the steps that call ``platform``'s API."""
    return f"platform-api-{platform}"


def platform_step_tags(platform: str) -> dict[str, str]:
    """op_tags of a step that calls ``platform``'s API (ignored by the other executors)."""
    return {QUEUE_TAG: platform_queue(platform)}


PLATFORM_QUEUES = tuple(platform_queue(platform) for platform in PLATFORMS)
QUEUES = (DEFAULT_QUEUE, *PLATFORM_QUEUES)
DISCOVERY_STEP_TAGS = platform_step_tags("spotify")
"""op_tags of the discovery steps: Spotify's queue (trending also reads one YouTube and one
TikTok chart a run, before the per-platform pulls of the same run start)."""


def broker_url() -> str | None:
    """The broker when the Celery profile is on, else None (the default executor)."""
    return os.environ.get(BROKER_ENV, "").strip() or None


def executor_config() -> dict:
    """dagster-celery's executor config, reading the broker from the environment at run time
    (the URL, which may hold a password, never lands in run configs)."""
    return {
        "broker": {"env": BROKER_ENV},
        "backend": {"env": BROKER_ENV},
        "config_source": {
            # one step at a time per worker process: steps are long, prefetching starves others
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
        },
    }


def worker_config_yaml(url: str | None = None) -> str:
    """The ``-y`` file for ``dagster-celery worker start``: the same broker as the executor
    (``url``, default PROMOTEROS_CELERY_BROKER_URL)."""
    url = url or broker_url()
    if not url:
        raise RuntimeError(f"set {BROKER_ENV} to start a Celery worker")
    return (
        "execution:\n  config:\n"
        f"    broker: '{url}'\n    backend: '{url}'\n"
        "    config_source:\n      worker_prefetch_multiplier: 1\n"
        "      broker_connection_retry_on_startup: true\n"
    )


def worker_command(
    config_yaml: Path, name: str, queues: tuple[str, ...], concurrency: int
) -> list[str]:
    """``dagster-celery worker start`` for one worker (foreground; DAGSTER_HOME and the
    promoteros environment must be set, as for a run worker)."""
    bin_dir = Path(sys.executable).parent
    executable = bin_dir / "dagster-celery"
    command = [str(executable) if executable.exists() else shutil.which("dagster-celery") or ""]
    command += ["worker", "start", "-A", "dagster_celery.app", "-y", str(config_yaml)]
    command += ["--name", name, "--loglevel", "INFO"]
    for queue in queues:
        command += ["-q", queue]
    return [*command, "--", f"--concurrency={concurrency}"]


def run_launcher_yaml(queue: str = DEFAULT_QUEUE) -> str:
    """dagster.yaml's ``run_launcher`` that hands each run to a warm Celery worker as a task
    (dagster-celery's ``CeleryRunLauncher``; the broker from PROMOTEROS_CELERY_RUN_BROKER_URL).

    Measured against the default launcher by ``python -m benchmarks webhook_to_run``; not the
    profile's default (docs/scaling.md says why). It launches every run of the instance, and a
    run on a Celery worker must not use the Celery executor ("Never call result.get() within
    a task"), so it only fits an instance whose jobs all run their steps in the run's process:
    set RUN_BROKER_ENV for it and leave BROKER_ENV unset.
    """
    return (
        "run_launcher:\n  module: dagster_celery.launcher\n  class: CeleryRunLauncher\n"
        f"  config:\n    default_queue: {queue}\n"
        f"    broker:\n      env: {RUN_BROKER_ENV}\n    backend:\n      env: {RUN_BROKER_ENV}\n"
        "    config_source:\n      worker_prefetch_multiplier: 1\n"
        "      broker_connection_retry_on_startup: true\n"
    )
