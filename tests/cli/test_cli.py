"""The command line as a user meets it: documented commands and one-line errors to act on."""

import os
import socket
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from promoteros_pipelines.cli import main

COMMANDS = {"db", "demo", "dev", "load", "stop"}


@pytest.fixture
def runner(monkeypatch, tmp_path) -> CliRunner:
    for name in ("PROMOTEROS_DATABASE_URL", "PROMOTEROS_DAGSTER_DATABASE_URL", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMOTEROS_HOME", str(tmp_path / "home"))
    return CliRunner()


def test_help_documents_every_command(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line}
    assert listed >= COMMANDS
    for name in COMMANDS:
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0 and len(sub.output.splitlines()) > 3, name


def test_unreachable_database_url_gets_a_clear_message(runner, monkeypatch):
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", "postgresql://ana:s3cret@127.0.0.1:1/nowhere")
    result = runner.invoke(main, ["db", "status"])
    assert result.exit_code == 1
    assert "Cannot reach PostgreSQL at postgresql://ana:***@127.0.0.1:1/nowhere" in result.output
    assert "PROMOTEROS_DATABASE_URL" in result.output
    assert "s3cret" not in result.output
    assert "Traceback" not in result.output


def test_a_database_url_that_is_not_postgresql_is_refused(runner, monkeypatch):
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", "mysql://root@localhost/db")
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "must start with postgresql://" in result.output


def test_home_that_is_not_writable_gets_a_clear_message(runner, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PROMOTEROS_HOME", str(blocker / "home"))
    result = runner.invoke(main, ["db", "status"])
    assert result.exit_code == 1
    assert f"PROMOTEROS_HOME={blocker / 'home'} is not writable" in result.output


def test_dev_refuses_a_port_in_use_before_starting_anything(runner, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(main, ["dev", "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} (Dagster UI) is in use" in result.output
    assert not (tmp_path / "home" / "pgdata").exists()


def test_db_upgrade_and_status_on_a_configured_server(runner, monkeypatch, empty_database_url):
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", empty_database_url)
    pending = runner.invoke(main, ["db", "status"])
    assert pending.exit_code == 1 and "migrations pending" in pending.output
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and "Dagster's tables ready" in upgraded.output
    with psycopg.connect(empty_database_url) as conn:  # made before any worker starts
        assert conn.execute("SELECT to_regclass('public.runs')").fetchone() == ("runs",)
    current = runner.invoke(main, ["db", "status"])
    assert current.exit_code == 0 and "up to date" in current.output


def test_load_reference_reports_a_bad_file_and_writes_nothing(
    runner, monkeypatch, database_url, tmp_path
):
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    directory = tmp_path / "mine"
    directory.mkdir()
    (directory / "organisations.csv").write_text("slug,name,time_zone,currency\nok,OK,UTC,EUR\n")
    (directory / "venues.csv").write_text(
        "organisation,slug,name,city,country,latitude,longitude,capacity,genres,"
        "typical_ticket_price\nok,v,V,Bonn,DE,50.7,7.1,lots,rock,10\n"
    )
    (directory / "recipients.csv").write_text("organisation,name,email,role,venue,time_zone\n")
    result = runner.invoke(main, ["load", "reference", str(directory)])
    assert result.exit_code == 1
    assert "venues.csv, row 2, field 'capacity'" in result.output
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM promoteros.organisations").fetchone() == (0,)


def test_demo_runs_the_pipeline_on_the_simulated_world_and_records_runs(
    runner, monkeypatch, database_url, tmp_path: Path
):
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "promoteros dev" in result.output

    def count(conn, query: str) -> int:
        row = conn.execute(query).fetchone()
        return row[0] if row else 0

    with psycopg.connect(database_url) as conn:
        assert count(conn, "SELECT count(*) FROM promoteros.venues") >= 24
        assert count(conn, "SELECT count(*) FROM promoteros.artists WHERE source = 'discovery'")
        # the last pulled window came over HTTP from the simulator, for every tracked artist
        pulled = count(
            conn,
            "SELECT count(DISTINCT artist_id) FROM promoteros.metric_observations"
            " WHERE source = 'api'",
        )
        assert pulled == count(conn, "SELECT count(*) FROM promoteros.artists")
        # Dagster's run storage is this PostgreSQL too
        assert count(conn, "SELECT count(*) FROM runs WHERE status = 'SUCCESS'") >= 5
    assert "PROMOTEROS_SIMULATOR_URL" not in os.environ
