"""``promoteros report weekly``: files written, mail with --send, one-line errors."""

import os
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from promoteros_pipelines.cli import main
from tests.defs.reports.world import seed_world
from tests.support.smtp import SmtpServer


@pytest.fixture
def runner(monkeypatch, tmp_path, database_url) -> Iterator[CliRunner]:
    # the command exports DAGSTER_HOME and database URLs for child processes: restore them all
    saved = dict(os.environ)
    for name in ("PROMOTEROS_DAGSTER_DATABASE_URL", "DAGSTER_HOME", "PROMOTEROS_SMTP_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMOTEROS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    yield CliRunner()
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nobody", "--week", "2026-W47"], "no organisation with slug 'nobody'"),
        (["--org", "northern-lights-live", "--week", "2026-47"], "must look like 2026-W47"),
        (["--org", "northern-lights-live", "--week", "2026-W54"], "does not exist"),
    ],
)
def test_bad_arguments_get_one_clear_line(runner, database_url, args, message):
    seed_world(database_url, venues=0)
    result = runner.invoke(main, ["report", "weekly", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_renders_the_set_prints_the_files_and_mails_with_send(
    runner, database_url, tmp_path, monkeypatch
):
    seed_world(database_url, venues=1)
    out = tmp_path / "out"
    with SmtpServer() as smtp:
        monkeypatch.setenv("PROMOTEROS_SMTP_URL", smtp.url)
        result = runner.invoke(
            main,
            [
                "report",
                "weekly",
                "--org",
                "northern-lights-live",
                "--week",
                "2026-W47",
                "--out",
                str(out),
                "--send",
            ],
        )
        assert result.exit_code == 0, result.output
        printed = [line for line in result.stdout.splitlines() if line.endswith(".pdf")]
        assert sorted(printed) == sorted(str(p) for p in out.glob("*.pdf"))
        assert len(printed) == 3
        assert len(smtp.received) == 3  # exec, ops, the one venue's manager

        again = runner.invoke(
            main,
            ["report", "weekly", "--org", "northern-lights-live", "--week", "2026-W47", "--send"],
        )
        assert again.exit_code == 0, again.output
        assert len(smtp.received) == 3
        assert "already sent 3" in again.output
