"""`promoteros users` and `promoteros ui`'s refusal, in process, on a real database."""

import json

import psycopg
import pytest

from promoteros_pipelines.runtime.ui_auth import USER_STORE_SCHEMA, ensure_local_admin, user_store
from tests.support.cli import cli_runner


@pytest.fixture
def users(monkeypatch, tmp_path, database_url):
    return cli_runner(monkeypatch, tmp_path, database_url, "users")


def _listed(users) -> dict[str, str]:
    result = users("list", "--json")
    assert result.exit_code == 0, result.output
    return {row["username"]: row["role"] for row in map(json.loads, result.stdout.splitlines())}


def test_add_list_set_role_remove(users, database_url):
    added = users("add", "ana.lopez", "--role", "operator", "--email", "ana@example.com")
    assert added.exit_code == 0, added.output
    assert "ana.lopez may now sign in as Operator" in added.output
    password = added.output.split("shown once; give it to them privately): ")[1].split()[0]
    assert _listed(users) == {"ana.lopez": "Operator"}
    with user_store(database_url) as store:  # the printed password signs in, a wrong one not
        assert store._backend.authenticate("ana.lopez", password) is not None
        assert store._backend.authenticate("ana.lopez", password + "x") is None
    with psycopg.connect(database_url) as conn:  # authkit's table, in its own schema
        row = conn.execute(f"SELECT password_hash FROM {USER_STORE_SCHEMA}.users").fetchone()
    assert row is not None and row[0].startswith("$2b$") and password not in row[0]

    assert users("set-role", "ana.lopez", "Developer").exit_code == 0
    assert _listed(users) == {"ana.lopez": "Developer"}
    again = users("add", "ana.lopez", "--role", "Viewer")
    assert again.exit_code == 1 and "already exists" in again.output
    assert users("remove", "ana.lopez").exit_code == 0
    assert _listed(users) == {}
    with user_store(database_url) as store:
        assert store._backend.authenticate("ana.lopez", password) is None


def test_refusals_change_nothing(users):
    assert users("add", "boss", "--role", "Admin").exit_code == 0
    for args, says in [
        (("add", "ana lopez", "--role", "Viewer"), "cannot be a user name"),
        (("add", "ana", "--role", "root"), "use one of Viewer, Operator, Developer, Admin"),
        (("set-role", "nobody", "Viewer"), "No user nobody"),
        (("set-role", "boss", "Viewer"), "boss is the last Admin"),
        (("remove", "boss"), "boss is the last Admin"),
    ]:
        result = users(*args)
        assert result.exit_code == 1 and says in result.output, (args, result.output)
    assert _listed(users) == {"boss": "Admin"}


def test_a_password_from_stdin_signs_in_and_is_not_printed(users, database_url):
    from click.testing import CliRunner

    from promoteros_pipelines.cli import main

    args = ["users", "add", "vera", "--role", "Viewer", "--password-stdin"]
    result = CliRunner().invoke(main, args, input="correct-horse-battery\n")
    assert result.exit_code == 0 and "correct-horse-battery" not in result.output
    with user_store(database_url) as store:
        assert store._backend.authenticate("vera", "correct-horse-battery") is not None


def test_the_local_admin_is_made_once_and_its_password_kept(database_url, tmp_path):
    first = ensure_local_admin(database_url, tmp_path)
    assert first.password and first.password_file.stat().st_mode & 0o777 == 0o600
    assert ensure_local_admin(database_url, tmp_path).password == first.password
    with user_store(database_url) as store:
        store.add("other.admin", "another-password-1", "Admin")
        store.remove("admin")  # gone, then back with a new password on the next dev/demo
    again = ensure_local_admin(database_url, tmp_path)
    assert again.password and again.password != first.password


def test_production_ui_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path, database_url):
    ui = cli_runner(monkeypatch, tmp_path, database_url, "ui")
    monkeypatch.delenv("PROMOTEROS_UI_AUTH", raising=False)
    monkeypatch.delenv("PROMOTEROS_UI_SECRET_KEY", raising=False)
    result = ui("--port", "1")
    assert result.exit_code == 1
    assert "PROMOTEROS_UI_SECRET_KEY is not set, so the Dagster UI was not started" in result.output
    monkeypatch.setenv("PROMOTEROS_UI_SECRET_KEY", "too-short")
    assert "shorter than 32 characters" in ui("--port", "1").output
    assert not (tmp_path / "home" / "dagster").exists()  # refused before any set-up


def test_demo_prints_how_to_sign_in_or_warns_when_sign_in_is_off(
    monkeypatch, tmp_path, database_url
):
    from promoteros_pipelines.cli.common import console
    from promoteros_pipelines.cli.demo import _print_ui_access

    monkeypatch.setenv("PROMOTEROS_HOME", str(tmp_path))
    monkeypatch.delenv("PROMOTEROS_UI_AUTH", raising=False)
    with console.capture() as captured:
        _print_ui_access(database_url)
    password = (tmp_path / "ui-admin-password").read_text().strip()
    assert f"as admin with password {password}" in captured.get()
    monkeypatch.setenv("PROMOTEROS_UI_AUTH", "off")
    with console.capture() as captured:
        _print_ui_access(database_url)
    assert "PROMOTEROS_UI_AUTH=off: the Dagster UI has no sign-in" in captured.get()
    monkeypatch.setenv("PROMOTEROS_UI_AUTH", "maybe")
    ui = cli_runner(monkeypatch, tmp_path, database_url, "ui")
    refused = ui("--port", "1")
    assert refused.exit_code == 1 and "use on (the default) or off" in refused.output
