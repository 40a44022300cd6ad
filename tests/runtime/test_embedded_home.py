"""PROMOTEROS_HOME is shared by parallel processes (test workers, two commands at once)."""

import multiprocessing
from pathlib import Path

from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres


def _check_many_times(home: str) -> int:
    failures = 0
    for _ in range(300):
        try:
            EmbeddedPostgres(Path(home))._ensure_home_writable()
        except Exception:
            failures += 1
    return failures


def test_parallel_writability_checks_do_not_trip_over_each_other(tmp_path):
    # with one fixed probe file name, one process deleted another's probe (seen as flaky
    # "PROMOTEROS_HOME is not writable" setup errors under pytest -n 2)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        failures = pool.map(_check_many_times, [str(tmp_path)] * 4)
    assert failures == [0, 0, 0, 0]
    assert list(tmp_path.iterdir()) == []  # no probe files left behind
