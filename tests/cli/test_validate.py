"""``promoteros validate [--json]``: the same checks as the job, on demand, with an exit code."""

import json

import psycopg
import pytest
from click.testing import CliRunner

from promoteros_pipelines.cli import main
from tests.defs.operations.seed import seed_world


@pytest.fixture
def runner(monkeypatch, database_url) -> CliRunner:
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    seed_world(database_url)
    return CliRunner()


def test_validate_json_passes_on_good_tables_and_logs_the_round(runner, database_url) -> None:
    result = runner.invoke(main, ["validate", "--json"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["passed"] is True
    assert {f["asset"] for f in document["findings"]} >= {"metric_observations", "venues"}
    with psycopg.connect(database_url) as conn:
        logged = conn.execute("SELECT count(*) FROM promoteros.data_quality_log").fetchone()[0]
    assert logged == len(document["findings"])


def test_validate_exits_1_and_names_a_critical_failure(runner, database_url) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE promoteros.metric_observations SET value = -3 WHERE artist_id = 2")

    result = runner.invoke(main, ["validate", "--asset", "metric_observations"])

    assert result.exit_code == 1
    assert "STORED_VALUES_IN_RANGE" in result.output and "FAILED" in result.output
    assert "1 critical" in result.output


def test_validate_refuses_an_unknown_table(runner) -> None:
    result = runner.invoke(main, ["validate", "--asset", "nonsense"])
    assert result.exit_code == 2 and "nonsense" in result.output
