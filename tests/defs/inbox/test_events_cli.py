"""`promoteros events list|show|replay` against a real inbox."""

import pytest

from tests.support.cli import cli_runner

WATCH = {"artist_name": "Nova Lights", "platform_ids": {"spotify": "sp-nova"}}


@pytest.fixture
def run_cli(monkeypatch, tmp_path, database_url):
    return cli_runner(monkeypatch, tmp_path, database_url, "events")


def test_list_filters_by_status_and_type(run_cli, inbox):
    dead = inbox.add("artist.watch", WATCH)
    inbox.set(dead, status="dead", error="boom", attempts=3)
    inbox.add("scraper.metrics", {"observations": []}, source="scraper")
    listed = run_cli("list", "--status", "dead")
    assert listed.exit_code == 0
    assert "artist.watch" in listed.output and "scraper.metrics" not in listed.output
    assert "artist.watch" not in run_cli("list", "--type", "scraper.metrics").output


def test_show_prints_status_error_and_payload(run_cli, inbox):
    event = inbox.add("artist.watch", WATCH)
    inbox.set(event, status="dead", error="retries used up", attempts=3)
    shown = run_cli("show", str(event))
    assert shown.exit_code == 0
    assert "status:     dead" in shown.output
    assert "retries used up" in shown.output
    assert '"sp-nova"' in shown.output
    missing = run_cli("show", "999999")
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_replay_puts_a_dead_event_back_and_refuses_the_rest(run_cli, inbox):
    dead = inbox.add("artist.watch", WATCH)
    inbox.set(dead, status="dead", attempts=3)
    replayed = run_cli("replay", str(dead))
    assert replayed.exit_code == 0 and "attempt 4 next" in replayed.output
    assert inbox.row(dead)["status"] == "pending" and inbox.row(dead)["attempts"] == 3

    done = inbox.add("artist.watch", WATCH)
    inbox.set(done, status="done", attempts=1)
    refused = run_cli("replay", str(done))
    assert refused.exit_code == 1 and "only dead, failed or stranded running" in refused.output

    failed = inbox.add("artist.watch", WATCH)
    inbox.set(failed, status="failed", attempts=1)
    assert "Dagster will retry" in run_cli("replay", str(failed)).output
    assert run_cli("replay", "--force", str(failed)).exit_code == 0
    assert inbox.row(failed)["status"] == "pending"


def test_replay_takes_a_running_event_whose_run_is_gone(run_cli, inbox):
    """The daemon lost the run (here: Dagster never heard of it): no --force needed."""
    stranded = inbox.add("artist.watch", WATCH)
    inbox.set(stranded, status="running", run_id="5b1c0de0-0000-4000-8000-000000000000")

    replayed = run_cli("replay", str(stranded))

    assert replayed.exit_code == 0, replayed.output
    assert "attempt 2 next" in replayed.output
    assert inbox.row(stranded)["status"] == "pending"
    assert inbox.row(stranded)["attempts"] == 1
