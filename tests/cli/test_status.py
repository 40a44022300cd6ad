"""``promoteros status [--json]``: exit code 0 healthy, 1 degraded, 2 down."""

import json

import pytest
from click.testing import CliRunner

from promoteros_pipelines.cli import main
from promoteros_pipelines.defs.operations import validation
from tests.defs.operations.seed import NOW, seed_world

KIND = "booking_offer"


@pytest.fixture
def runner(monkeypatch, database_url) -> CliRunner:
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return CliRunner()


def test_status_is_healthy_on_a_clean_warehouse(runner) -> None:
    result = runner.invoke(main, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "healthy" and report["database"]["up"] is True
    assert report["failing_checks"] == [] and report["open_incidents"] == []


def test_status_is_degraded_with_a_failing_check(runner, database_url, warehouse) -> None:
    seed_world(database_url)
    warehouse.execute("UPDATE promoteros.venues SET typical_ticket_price = 0")
    warehouse.execute("ALTER TABLE promoteros.venues DROP CONSTRAINT venues_capacity_check")
    warehouse.execute("UPDATE promoteros.venues SET capacity = 0")
    validation.validate(warehouse, NOW, ["venues"])

    result = runner.invoke(main, ["status"])

    assert result.exit_code == 1
    assert "DEGRADED" in result.output
    assert "STORED_VALUES_IN_RANGE on venues (critical)" in result.output


def test_status_is_down_when_the_database_is_unreachable(runner, monkeypatch) -> None:
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = runner.invoke(main, ["status", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"] == "down"


def test_status_lists_pending_approvals_without_calling_them_a_fault(runner, warehouse) -> None:
    from promoteros_pipelines.defs.approvals.store import request_approval

    for n, priority in enumerate(["urgent", "normal"]):
        request_approval(
            warehouse,
            kind=KIND,
            request_key=f"offer-{n}",
            requested_by="booking_scores",
            subject={"artist": f"Artist {n}"},
            priority=priority,
        )

    result = runner.invoke(main, ["status", "--json"])

    assert result.exit_code == 0, result.output
    pending = json.loads(result.stdout)["pending_approvals"]
    assert pending["count"] == 2 and pending["urgent"] == 1
    assert pending["by_kind"] == {KIND: 2}
    text = runner.invoke(main, ["status"]).output
    assert f"pending approvals: 2 (2 {KIND}); 1 urgent" in text
