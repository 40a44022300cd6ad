"""`python -m benchmarks`: one tiny benchmark through the suite, and what a user sees in
latest.json and latest.md (their shape only: no timing is asserted here)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import NAMES, run

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--rows", "4000", "--artists", "50"]


@pytest.fixture
def bench_env(server_url, monkeypatch):
    """The suite's children use the test server (no embedded server of their own)."""
    monkeypatch.setenv("PROMOTEROS_TEST_DATABASE_URL", server_url)


def test_a_tiny_run_writes_one_row_per_benchmark_with_its_verdict(bench_env, tmp_path):
    report = run(["load_history"], quick=True, results=tmp_path, sizes={"load_history": TINY})

    written = json.loads((tmp_path / "latest.json").read_text())
    assert written == json.loads(json.dumps(report, default=str))
    assert written["size"] == "quick"
    assert written["all_ran"] is True
    assert {
        "cpus",
        "python",
        "load_average_before",
        "load_average_after",
        "speed_cpu_seconds",
    } <= set(written["machine"])
    row = written["benchmarks"]["load_history"]
    assert set(row) >= {"args", "seconds", "status", "figures", "baseline", "ratio", "target"}
    assert row["status"] == "ok"
    assert row["args"] == TINY
    assert row["figures"]["rows"] == 4000
    assert row["ratio"] > 0
    assert row["pass"] is None  # the loader's issue set no target: said, not invented
    table = (tmp_path / "latest.md").read_text()
    assert "| benchmark | figures | baseline | ratio | target | pass | s |" in table
    assert "| load_history | rows 4,000" in table
    assert (tmp_path / "load_history.json").exists()


def test_a_benchmark_that_fails_is_a_failed_row_not_a_missing_one(bench_env, tmp_path):
    report = run(
        ["load_history"], quick=True, results=tmp_path, sizes={"load_history": ["--rows", "x"]}
    )

    row = report["benchmarks"]["load_history"]
    assert row["status"] == "failed"
    assert row["pass"] is False
    assert "invalid int value" in row["error"]
    assert report["all_ran"] is False
    assert "| load_history | failed:" in (tmp_path / "latest.md").read_text()


def test_an_unknown_benchmark_name_is_refused_with_the_available_ones(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--results", str(tmp_path), "no_such_bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )

    assert done.returncode != 0
    assert "unknown benchmark(s) ['no_such_bench']" in done.stderr
    assert all(name in done.stderr for name in NAMES)
    assert not (tmp_path / "latest.json").exists()
