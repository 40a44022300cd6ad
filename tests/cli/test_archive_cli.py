"""``promoteros archive list|restore``: the nightly archive seen and undone from the command
line, against a real database and the local report store."""

import json

import pytest

from promoteros_pipelines.defs.operations.archive import archive_due
from promoteros_pipelines.report_store.store import LocalReportStore
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.defs.operations.test_archive import OLD_MONTHS, ROWS_PER_MONTH, TODAY, _month, _seed
from tests.support.cli import cli_runner


@pytest.fixture
def run(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("PROMOTEROS_REPORT_STORE", str(tmp_path / "store"))
    monkeypatch.delenv("PROMOTEROS_REPORT_STORE_URL", raising=False)
    return cli_runner(monkeypatch, tmp_path, database_url, "archive")


def test_list_then_restore_brings_back_the_same_rows(
    run, warehouse: PostgresWarehouse, tmp_path
) -> None:
    _seed(warehouse)
    original = _month(warehouse, OLD_MONTHS[0])
    archive_due(warehouse, LocalReportStore(tmp_path / "store"), TODAY, months=13)

    listed = json.loads(run("list", "--json").stdout)
    assert [(m["month"], m["rows"], m["in_database"]) for m in listed["archived"]] == [
        (f"{m:%Y-%m}", ROWS_PER_MONTH, False) for m in OLD_MONTHS
    ]

    restored = run("restore", "2024-01")
    assert restored.exit_code == 0, restored.output
    assert f"Restored {ROWS_PER_MONTH:,} rows of 2024-01" in restored.output
    assert _month(warehouse, OLD_MONTHS[0]).equals(original)
    again = json.loads(run("list", "--json").stdout)
    assert again["archived"][0]["in_database"] is True

    twice = run("restore", "2024-01")
    assert twice.exit_code == 1 and "already in the database" in twice.output
    missing = run("restore", "2023-07")
    assert missing.exit_code == 1 and "has no archive" in missing.output
    bad = run("restore", "July")
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
