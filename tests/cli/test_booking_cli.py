"""``promoteros booking list|show|respond|management`` against a test database."""

import json

import pytest

from tests.defs.booking.booking_support import (
    HOSTILE,
    build_world,
    opportunity_of,
    run_opportunities,
)
from tests.support.cli import cli_runner


@pytest.fixture
def run(monkeypatch, tmp_path, database_url):
    return cli_runner(monkeypatch, tmp_path, database_url, "booking")


def test_list_show_and_respond(run, warehouse):
    world = build_world(warehouse)
    run_opportunities(warehouse)
    nova = opportunity_of(warehouse, world.nova, world.barrowland)

    listed = [
        json.loads(line) for line in run("list", "--org", "north", "--json").output.splitlines()
    ]
    assert [row["artist"] for row in listed] == ["Nova Lights", HOSTILE]
    assert run("list", "--status", "new", "--json").output.count("\n") == 1
    assert run("list", "--org", "south", "--json").output == ""
    table = run("list").output
    assert "Nova" in table and "Barrowl" in table  # rich wraps cells to the terminal width

    shown = run("show", str(nova["id"])).output
    assert f"Opportunity {nova['id']}: Nova Lights (artist {world.nova}) at Barrowland" in shown
    assert "Usher Hall, Edinburgh" in shown and "King Tut's (recent)" in shown
    assert "Break-even attendance:" in shown and "Assumptions" in shown
    assert "P10" in shown and "Margin" in shown

    answered = run("respond", str(nova["id"]), "declined", "--note", "Touring Asia then")
    assert "declined recorded; status declined" in answered.output
    assert opportunity_of(warehouse, world.nova, world.barrowland)["status"] == "declined"
    again = run("respond", str(nova["id"]), "accepted")
    assert again.exit_code != 0 and "already declined" in again.output


def test_unknown_ids_are_said_plainly(run, warehouse):
    shown = run("show", "99999")
    assert shown.exit_code != 0 and "no booking opportunity 99999" in shown.output
    answered = run("respond", "99999", "accepted")
    assert answered.exit_code != 0 and "no booking opportunity 99999" in answered.output
    contact = run("management", "99999", "m@x.example", "--name", "M")
    assert contact.exit_code != 0 and "no artist 99999" in contact.output
