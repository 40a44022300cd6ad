"""The `promoteros` command in process, against a test database."""

from collections.abc import Callable

from click.testing import CliRunner, Result

from promoteros_pipelines.cli import main

# The CLI exports these for its Dagster children: undo that after the test, or later tests in
# this process would inherit a Dagster home on a database that is dropped by then.
DAGSTER_ENV = ("DAGSTER_HOME", "PROMOTEROS_DAGSTER_STORAGE_URL", "PROMOTEROS_DAGSTER_DATABASE_URL")


def cli_runner(monkeypatch, tmp_path, database_url: str, group: str) -> Callable[..., Result]:
    """``run(*args)`` invokes ``promoteros <group> *args`` with the warehouse at
    ``database_url`` and a throwaway PROMOTEROS_HOME; the environment is restored afterwards."""
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    monkeypatch.setenv("PROMOTEROS_HOME", str(tmp_path / "home"))
    for name in DAGSTER_ENV:
        # setenv first: monkeypatch only restores a variable it saw, and these are unset
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, [group, *args], catch_exceptions=False)

    return run
