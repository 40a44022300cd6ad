"""`promoteros approvals list|approve|reject` against a real warehouse."""

import json

import pytest
from approvals_support import ANALYST, EXEC, OPS, offer

from promoteros_pipelines.defs.approvals.store import decisions_of, get_approval
from tests.support.cli import cli_runner


@pytest.fixture
def run_cli(monkeypatch, tmp_path, database_url):
    return cli_runner(monkeypatch, tmp_path, database_url, "approvals")


def test_list_filters_and_prints_json(run_cli, people):
    urgent = offer(people, "a", priority="urgent", artist="Nova Lights")
    normal = offer(people, "b", artist="Slow Burn")
    decided = offer(people, "c")
    run_cli("approve", decided, "--by", EXEC)

    pending = [
        json.loads(line)
        for line in run_cli("list", "--status", "pending", "--json").output.splitlines()
    ]
    assert [row["id"] for row in pending] == [urgent, normal]  # most urgent first
    assert pending[0]["subject"]["artist"] == "Nova Lights"
    assert pending[0]["status"] == "pending" and pending[0]["kind"] == "booking_offer"

    table = run_cli("list", "--kind", "booking_offer").output
    assert "approved" in table and "pending" in table
    assert run_cli("list", "--kind", "pipeline_trigger").output.strip() == "No approvals match."


def test_bulk_approve_reports_each_refusal_and_exits_1(run_cli, people):
    ids = [offer(people, f"o{n}") for n in range(3)]
    run_cli("reject", ids[2], "--by", EXEC, "--reason", "no budget")
    result = run_cli("approve", *ids[:2], ids[2], "missing-id", "--by", EXEC)
    assert result.exit_code == 1
    assert f"{ids[0]}: approved" in result.output and f"{ids[1]}: approved" in result.output
    assert f"{ids[2]}: refused: approval {ids[2]} is already rejected" in result.output
    assert "there is no approval 'missing-id'" in result.output
    assert "2 of 4 decisions refused" in result.output
    assert decisions_of(people, ids[2])[0]["reason"] == "no budget"


def test_reject_needs_a_reason_and_the_requester_cannot_decide(run_cli, people):
    approval_id = offer(people)
    missing = run_cli("reject", approval_id, "--by", EXEC)
    assert missing.exit_code == 2 and "--reason" in missing.output
    own = run_cli("approve", approval_id, "--by", ANALYST)
    assert own.exit_code == 1 and "cannot decide it themselves" in own.output
    wrong_role = run_cli("approve", approval_id, "--by", OPS)
    assert wrong_role.exit_code == 1 and "only exec or venue_manager" in wrong_role.output
    assert get_approval(people, approval_id).status == "pending"
