"""DAGSTER_HOME with a ``dagster.yaml`` that keeps runs, events and schedules in PostgreSQL.

The file reads the storage URL from PROMOTEROS_DAGSTER_STORAGE_URL (set by every promoteros
command), so it holds no secret and never goes stale when the database moves. A file that
does not carry our marker is the user's own and is left alone.

Recovery needs no person: run monitoring fails a run that has not started within
``START_TIMEOUT_SECONDS`` (its launch was lost, e.g. the daemon was killed while launching
it) and run retries launch it again; the run status sensors follow both. With the default run
launcher Dagster cannot see a run worker that died after the run started (the launcher has no
health check), so such a run stays STARTED until someone cancels it; the inbox's sweep
re-files the events of runs that end or disappear.
"""

import os
from pathlib import Path

from promoteros_pipelines.settings import DAGSTER_STORAGE_URL_ENV, dagster_home

MARKER = "# Written by promoteros"
MAX_CONCURRENT_RUNS = 4
PLATFORM_TAG = "promoteros/platform"
# Runs that call the platform APIs carry this: the run queue lets one such run at a time.
PLATFORM_API_TAGS = {PLATFORM_TAG: "platform-apis"}
MAX_RETRIES = 2
# A launch takes 1-3 s here, up to ~20 s on a loaded machine: 90 s is never a slow launch.
START_TIMEOUT_SECONDS = 90
CANCEL_TIMEOUT_SECONDS = 90
# How often the monitoring daemon looks (Dagster's default is 120 s).
MONITOR_POLL_SECONDS = 15


def dagster_yaml(
    *,
    start_timeout_seconds: int = START_TIMEOUT_SECONDS,
    cancel_timeout_seconds: int = CANCEL_TIMEOUT_SECONDS,
    poll_interval_seconds: int = MONITOR_POLL_SECONDS,
    max_retries: int = MAX_RETRIES,
) -> str:
    """Our instance configuration; the fault tests shorten the timeouts, nothing else."""
    return f"""{MARKER}; delete this file to regenerate it, or remove this line to keep edits.
storage:
  postgres:
    postgres_url:
      env: {DAGSTER_STORAGE_URL_ENV}
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    # webhook-triggered runs should start within seconds: check the queue every second
    dequeue_interval_seconds: 1
    dequeue_use_threads: true
    max_concurrent_runs: {MAX_CONCURRENT_RUNS}
    tag_concurrency_limits:
      # At most one run at a time calls each platform API, so rate limits hold across runs.
      - key: "{PLATFORM_TAG}"
        value:
          applyLimitPerUniqueValue: true
        limit: 1
run_monitoring:
  # a run whose launch was lost (daemon killed mid-launch) is failed, then retried below
  enabled: true
  start_timeout_seconds: {start_timeout_seconds}
  cancel_timeout_seconds: {cancel_timeout_seconds}
  poll_interval_seconds: {poll_interval_seconds}
  # the default run launcher cannot resume a run on a new worker
  max_resume_run_attempts: 0
run_retries:
  enabled: true
  max_retries: {max_retries}
sensors:
  # inbox sensors tick on every pass of the sensor daemon (5 s); threads keep one slow sensor
  # from delaying the others
  use_threads: true
  num_workers: 4
telemetry:
  enabled: false
"""


DAGSTER_YAML = dagster_yaml()


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME and our dagster.yaml if needed; export DAGSTER_HOME; return it."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text().startswith(MARKER):
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
