"""`promoteros dev` as a user runs it: services come up, and a stop signal stops them all."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from promoteros_pipelines.runtime.net import free_loopback_port

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(url: str, deadline: float) -> httpx.Response:
    while True:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer")
        time.sleep(0.5)


@pytest.mark.slow
def test_dev_starts_ui_ingress_and_simulator_and_stops_everything(tmp_path):
    ui, ingress, simulator = free_loopback_port(), free_loopback_port(), free_loopback_port()
    env = {
        **os.environ,
        "PROMOTEROS_HOME": str(tmp_path / "home"),
    }
    for name in (
        "PROMOTEROS_DATABASE_URL",
        "PROMOTEROS_DAGSTER_DATABASE_URL",
        "DAGSTER_HOME",
        "PROMOTEROS_SIMULATOR_URL",
        "PROMOTEROS_UI_AUTH",
        "PROMOTEROS_UI_SECRET_KEY",
    ):
        env.pop(name, None)  # the zero-setup default: an embedded server under the home
    command = [sys.executable, "-m", "promoteros_pipelines.cli", "dev", "--port", str(ui)]
    command += ["--ingress-port", str(ingress), "--simulator-port", str(simulator)]
    log = tmp_path / "dev.log"
    with log.open("wb") as output:  # a file, not a pipe nobody reads while it starts
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        assert _wait_for(f"http://127.0.0.1:{ingress}/healthz", deadline).json()["status"] == "ok"
        assert _wait_for(f"http://127.0.0.1:{simulator}/_control/world", deadline).json()["seed"]
        # the UI asks for a sign-in: its login page answers, its API does not without one
        _wait_for(f"http://127.0.0.1:{ui}/auth/login", deadline)
        assert httpx.post(f"http://127.0.0.1:{ui}/graphql", json={}).status_code == 401
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        # a safety net, not a speed test: dg dev's services get 20 s to stop, then the embedded
        # server up to a minute (pg_ctl's fast, then immediate shutdown) on a loaded machine
        process.wait(timeout=150)
    text = log.read_text()
    assert f"http://127.0.0.1:{ui}" in text and f"http://127.0.0.1:{ingress}" in text
    assert "Stopped the embedded PostgreSQL" in text
    secret = tmp_path / "home" / "link-secret"  # custom-report links work out of the box
    assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_text()) >= 32
    password = tmp_path / "home" / "ui-admin-password"  # printed, and kept for next time
    assert password.stat().st_mode & 0o777 == 0o600
    assert f"as admin with password {password.read_text().strip()}" in text
    assert not (tmp_path / "home" / "pgdata" / "postmaster.pid").exists()
    for port in (ui, ingress, simulator):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"


def test_dev_serves_the_ui_behind_sign_in_with_a_daemon_beside_it():
    from promoteros_pipelines.cli.dev import services

    ui, daemon = services("127.0.0.1", 3000, 8787, 8790, signed_in=True)[:2]
    assert ui.argv[1:3] == ["-m", "promoteros_pipelines.runtime.ui_server"]
    assert ui.argv[ui.argv.index("-p") + 1] == "3000" and ui.dagster
    assert Path(daemon.argv[0]).name == "dagster-daemon" and daemon.argv[1] == "run"


def test_dev_runs_dg_dev_quietly_unless_verbose():
    from promoteros_pipelines.cli.dev import services

    quiet = services("127.0.0.1", 3000, 8787, 8790)[0].argv
    loud = services("127.0.0.1", 3000, 8787, 8790, verbose=True)[0].argv
    assert Path(quiet[0]).name == "dg" and quiet[1] == "dev"  # not the deprecated `dagster dev`
    assert quiet[quiet.index("--log-level") + 1] == "warning"
    assert loud[loud.index("--log-level") + 1] == "info"
    assert quiet[quiet.index("-p") + 1] == "3000"
