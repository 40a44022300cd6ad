"""DAGSTER_HOME with a ``dagster.yaml`` that keeps runs, events and schedules in PostgreSQL.

The file reads the storage URL from PROMOTEROS_DAGSTER_STORAGE_URL (set by every promoteros
command), so it holds no secret and never goes stale when the database moves. A file that
does not carry our marker is the user's own and is left alone.
"""

import os
from pathlib import Path

from promoteros_pipelines.settings import DAGSTER_STORAGE_URL_ENV, dagster_home

MARKER = "# Written by promoteros"
MAX_CONCURRENT_RUNS = 4
PLATFORM_TAG = "promoteros/platform"

DAGSTER_YAML = f"""{MARKER}; delete this file to regenerate it, or remove this line to keep edits.
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
run_retries:
  enabled: true
  max_retries: 2
sensors:
  # inbox sensors tick on every pass of the sensor daemon (5 s); threads keep one slow sensor
  # from delaying the others
  use_threads: true
  num_workers: 4
telemetry:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME and our dagster.yaml if needed; export DAGSTER_HOME; return it."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text().startswith(MARKER):
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
