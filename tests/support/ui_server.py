"""The Dagster UI behind sign-in as `promoteros dev` serves it, on a test database, with one
person per role; for the HTTP and browser tests of tests/ui."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from promoteros_pipelines.runtime.dagster_home import DAGSTER_YAML
from promoteros_pipelines.runtime.net import free_loopback_port
from promoteros_pipelines.runtime.ui_auth import server_environment, user_store
from promoteros_pipelines.settings import with_driver

ROOT = Path(__file__).resolve().parents[2]
# Debian's package (`make browser`), or PROMOTEROS_CHROMIUM's; Playwright drives it and no
# browser is downloaded
CHROMIUM = os.environ.get("PROMOTEROS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PEOPLE = {
    "vera.viewer": "Viewer",
    "otto.operator": "Operator",
    "dana.developer": "Developer",
    "ada.admin": "Admin",
}


def password_of(username: str) -> str:
    return f"{username}-password"


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"Chromium is not installed ({CHROMIUM} is missing): `make browser` installs Debian's "
        "chromium package (as root; `make test` does it first), then these tests run"
    )


@dataclass(frozen=True)
class SignedInUi:
    url: str
    database_url: str
    dagster_home: Path
    log: Path


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text()[-3000:]
            raise AssertionError(f"the UI exited ({process.returncode}):\n{tail}")
        try:
            # the login page answers as soon as the webserver serves; the code location is
            # loaded before the webserver starts listening
            if httpx.get(f"{url}/auth/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    tail = log.read_text()[-3000:]
    raise AssertionError(f"the UI did not answer within {timeout:.0f} s:\n{tail}")


@contextmanager
def signed_in_ui(database_url: str, workdir: Path) -> Iterator[SignedInUi]:
    with user_store(database_url) as store:
        for username, role in PEOPLE.items():
            store.add(username, password_of(username), role)
    home = workdir / "dagster_home"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    port = free_loopback_port()
    env = {
        **os.environ,
        "PROMOTEROS_HOME": str(workdir / "home"),
        "PROMOTEROS_DATABASE_URL": database_url,
        "PROMOTEROS_DAGSTER_STORAGE_URL": with_driver(database_url, "psycopg2"),
        "DAGSTER_HOME": str(home),
        **server_environment(database_url, "test-secret-" + "x" * 40, local=True),
    }
    log = workdir / "ui.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "promoteros_pipelines.runtime.ui_server",
                "-w",
                str(ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log, timeout=240)
        yield SignedInUi(url, database_url, home, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
