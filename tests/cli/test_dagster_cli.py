"""The ``dagster`` CLI on this project, in the environment the README documents."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from promoteros_pipelines.runtime.dagster_home import DAGSTER_YAML
from promoteros_pipelines.settings import DAGSTER_STORAGE_URL_ENV, DATABASE_URL_ENV, with_driver

DAGSTER = Path(sys.executable).with_name("dagster")


def test_a_partition_range_of_daily_metrics_materialises_in_one_run(warehouse, tmp_path):
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name) OVERRIDING SYSTEM"
        " VALUE VALUES (1, 'Nova Lights', 'nova lights')"
    )
    with warehouse.connect() as conn, conn.cursor() as cursor:
        start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
        cursor.executemany(
            "INSERT INTO promoteros.metric_observations"
            " (artist_id, platform, metric, observed_at, value) VALUES (1, 'tiktok', %s, %s, %s)",
            [
                (metric, start + dt.timedelta(hours=6 * n), 1000 + 10 * n)
                for n in range(4 * 14)
                for metric in ("followers", "likes")
            ],
        )
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        DATABASE_URL_ENV: warehouse.database_url,
        DAGSTER_STORAGE_URL_ENV: with_driver(warehouse.database_url, "psycopg2"),
        "PROMOTEROS_HISTORY_START": "2025-01-01",
    }
    command = [
        str(DAGSTER),
        "asset",
        "materialize",
        "-m",
        "promoteros_pipelines.definitions",
        "--select",
        "daily_artist_metrics",
        "--partition-range",
        "2025-03-05...2025-03-12",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    days = warehouse.read_frame(
        "SELECT min(day) AS first, max(day) AS last, count(*) AS n"
        " FROM promoteros.daily_artist_metrics"
    ).row(0)
    assert days == (dt.date(2025, 3, 5), dt.date(2025, 3, 12), 8)
    with warehouse.connect() as conn:
        runs = conn.execute("SELECT count(*) FROM runs WHERE status = 'SUCCESS'").fetchone()
    assert runs == (1,)
