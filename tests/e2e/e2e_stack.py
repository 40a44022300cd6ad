"""The webhook path as deployed: `promoteros ingress` + `dagster-daemon run` on one database.

Used by the end-to-end test and by ``benchmarks/webhook_to_run.py``. Both processes run in
their own process group, so stopping the stack also stops the daemon's code server and run
workers; every process is stopped on exit, whatever happened.
"""

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from dagster import DagsterInstance
from dagster._core.definitions.run_request import InstigatorType

from promoteros_pipelines.runtime.dagster_home import DAGSTER_YAML
from promoteros_pipelines.runtime.net import free_loopback_port
from promoteros_pipelines.settings import with_driver
from tests.support.webhooks import signed_headers

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + base64.b64encode(b"e2e-n8n-secret-32-bytes-long!!!!").decode()
RUN_STATUS_SENSORS = {
    "event_runs_queued",
    "event_runs_succeeded",
    "event_runs_failed",
    "event_runs_canceled",
}


@dataclass
class Stack:
    ingress_url: str
    instance: DagsterInstance
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    secret: str = SECRET
    # how to (re)start each process, for the fault tests that kill one
    commands: dict[str, list[str]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    named: dict[str, subprocess.Popen] = field(default_factory=dict)
    killed: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str) -> subprocess.Popen:
        """Start (or restart) process ``name`` in a session of its own, appending its log."""
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                self.commands[name],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        self.named[name] = process
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal process ``name`` alone (not its children, which a crash would orphan),
        wait for it to die, and keep its group to be cleaned up when the stack stops."""
        process = self.named.pop(name)
        process.send_signal(sig)
        process.wait(timeout=30)
        self.processes.remove(process)
        self.killed.append(process)

    def post(self, source: str, event_type: str, payload: Any) -> httpx.Response:
        body = json.dumps(payload).encode()
        return httpx.post(
            f"{self.ingress_url}/webhooks/{source}/{event_type}",
            content=body,
            headers=signed_headers(self.secret, body),
            timeout=10,
        )

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{process.args[:3]} exited ({process.returncode})\n{self.log_tail()}"
                )


def _wait(condition, timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        if condition():
            return
        time.sleep(0.25)
    raise TimeoutError(f"{what} not within {timeout:.0f} s\n{stack.log_tail()}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _sensors_ready(instance: DagsterInstance) -> bool:
    """Every run status sensor has ticked once (their first tick sets the starting point)."""
    states = instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
    ready = {
        state.name
        for state in states
        if state.instigator_data is not None and state.instigator_data.cursor is not None
    }
    return ready >= RUN_STATUS_SENSORS


def _stop(processes: list[subprocess.Popen], grace: float = 15.0) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for process in processes:  # the group may outlive its leader (code server, run workers)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def webhook_stack(
    database_url: str,
    workdir: Path,
    startup_timeout: float = 120,
    dagster_yaml: str = DAGSTER_YAML,
    secret: str = SECRET,
    port: int | None = None,
    before_daemon: dict[str, list[str]] | None = None,
) -> Iterator[Stack]:
    """Start ingress and daemon against ``database_url`` (warehouse and Dagster storage).

    ``dagster_yaml`` defaults to the one `promoteros` writes, so the stack runs as deployed.
    ``secret`` signs the sources n8n and scraper; ``port`` (default: a free one) is the
    ingress's, for a sender configured before the stack starts.
    ``before_daemon``: more processes (name -> command) started with the stack's environment
    before the daemon, e.g. the Celery worker a run launcher hands runs to.
    """
    home, logs = workdir / "dagster_home", workdir / "logs"
    home.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(dagster_yaml)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PROMOTEROS_HOME": str(workdir / "promoteros_home"),
        "PROMOTEROS_DATABASE_URL": database_url,
        "PROMOTEROS_DAGSTER_DATABASE_URL": database_url,
        "PROMOTEROS_DAGSTER_STORAGE_URL": with_driver(database_url, "psycopg2"),
        "PROMOTEROS_WEBHOOK_SECRETS_N8N": secret,
        "PROMOTEROS_WEBHOOK_SECRETS_SCRAPER": secret,
    }
    saved = {k: os.environ.get(k) for k in ("PROMOTEROS_DAGSTER_STORAGE_URL", "DAGSTER_HOME")}
    os.environ["PROMOTEROS_DAGSTER_STORAGE_URL"] = env["PROMOTEROS_DAGSTER_STORAGE_URL"]
    port = port or free_loopback_port()
    bin_dir = Path(sys.executable).parent
    commands: dict[str, list[str]] = dict(before_daemon or {})
    commands |= {
        "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")],
        "ingress": [
            sys.executable,
            "-m",
            "promoteros_pipelines.cli",
            "ingress",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
    }
    instance = DagsterInstance.from_config(str(home))
    stack = Stack(
        f"http://127.0.0.1:{port}", instance, logs, secret=secret, commands=commands, env=env
    )
    try:
        for name in commands:
            stack.start(name)
        _wait(lambda: _healthy(stack.ingress_url), startup_timeout, "ingress healthy", stack)
        _wait(lambda: _sensors_ready(instance), startup_timeout, "sensors ticking", stack)
        yield stack
    finally:
        _stop(stack.processes)
        for process in stack.killed:  # what a killed daemon left behind: code server, workers
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        instance.dispose()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
