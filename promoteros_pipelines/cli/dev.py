"""``promoteros dev``: database, Dagster UI + daemon and the project's services, until Ctrl-C."""

import contextlib
import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import click

from promoteros_pipelines.cli.common import console, friendly_errors, prepare_environment
from promoteros_pipelines.cli.ui import print_sign_in, print_ui_auth_off
from promoteros_pipelines.report_store.links import LINK_SECRET_ENV, PUBLIC_URL_ENV
from promoteros_pipelines.runtime.net import port_is_free
from promoteros_pipelines.runtime.ui_auth import (
    auth_enabled,
    ensure_local_admin,
    local_secret_key,
    server_environment,
)
from promoteros_pipelines.settings import ConfigurationError, promoteros_home

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    port: int
    url: str
    module: str  # only started when this module exists (later features add services)
    dagster: bool = False  # Dagster's own chatty output: to the log file unless --verbose


def _project() -> Path:
    for candidate in (Path.cwd(), PROJECT_ROOT):
        if (candidate / "pyproject.toml").exists() and (candidate / "workspace.yaml").exists():
            return candidate
    raise ConfigurationError("pyproject.toml not found; run `promoteros dev` in the project root.")


def _dg() -> str:
    beside = Path(sys.executable).with_name("dg")
    return str(beside) if beside.exists() else "dg"


def dagster_services(host: str, port: int, level: str) -> list[Service]:
    """The Dagster UI behind sign-in (runtime/ui_server.py) and the daemon, each with its own
    code server: `dg dev` cannot put authkit in front of the webserver it starts."""
    workspace = str(_project() / "workspace.yaml")
    ui = [sys.executable, "-m", "promoteros_pipelines.runtime.ui_server", "-w", workspace]
    daemon = str(Path(sys.executable).with_name("dagster-daemon"))
    return [
        Service(
            "Dagster UI",
            [*ui, "--code-server-log-level", level, "-h", host, "-p", str(port)],
            port,
            f"http://{host}:{port}",
            "dagster_authkit",
            dagster=True,
        ),
        Service(
            "Dagster daemon (schedules, sensors, run queue)",
            [daemon, "run", "-w", workspace, "--log-level", level],
            0,
            "running",
            "dagster",
            dagster=True,
        ),
    ]


def services(
    host: str,
    port: int,
    ingress_port: int,
    simulator_port: int,
    verbose: bool = False,
    signed_in: bool = False,
) -> list[Service]:
    promoteros = [sys.executable, "-m", "promoteros_pipelines.cli"]
    # the daemon logs every sensor tick at INFO (thousands of lines an hour): warnings only,
    # unless asked; the UI keeps every run's and tick's full log either way
    level = "info" if verbose else "warning"
    dagster = (
        dagster_services(host, port, level)
        if signed_in
        else [
            Service(
                "Dagster UI",
                [
                    _dg(),
                    "dev",
                    "--target-path",
                    str(_project()),
                    "--use-active-venv",
                    "--log-level",
                    level,
                    "--code-server-log-level",
                    level,
                    "-h",
                    host,
                    "-p",
                    str(port),
                ],
                port,
                f"http://{host}:{port}",
                "dagster_dg_cli",
                dagster=True,
            )
        ]
    )
    return [
        *dagster,
        Service(
            "Webhook ingress",
            [*promoteros, "ingress", "--host", host, "--port", str(ingress_port)],
            ingress_port,
            f"http://{host}:{ingress_port}/webhooks/{{source}}/{{event_type}}",
            "promoteros_pipelines.ingress.app",
        ),
        Service(
            "Platform simulator",
            [*promoteros, "simulate", "serve", "--host", host, "--port", str(simulator_port)],
            simulator_port,
            f"http://{host}:{simulator_port}",
            "promoteros_pipelines.simulator.app",
        ),
    ]


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=3000, show_default=True, help="Dagster UI port.")
@click.option("--ingress-port", default=8787, show_default=True, help="Webhook ingress port.")
@click.option("--simulator-port", default=8790, show_default=True, help="Simulator port.")
@click.option("--verbose", is_flag=True, help="Log every daemon tick (INFO) as well.")
@friendly_errors
def command(host: str, port: int, ingress_port: int, simulator_port: int, verbose: bool) -> None:
    """Start the database, the Dagster UI and daemon, the webhook ingress and the simulator.

    The simulator serves the world `promoteros demo` anchored in PROMOTEROS_HOME on the wall
    clock, so the schedules continue its history. The UI asks for a sign-in: the first run
    makes an Admin named admin and prints its password (PROMOTEROS_UI_AUTH=off: no sign-in,
    `dg dev` as before). Prints their URLs; Ctrl-C stops everything
    this command started, including the embedded database when it was not already running.
    """
    signed_in = auth_enabled()
    everything = services(host, port, ingress_port, simulator_port, verbose, signed_in)
    wanted = [s for s in everything if find_spec(s.module)]
    busy = [s for s in wanted if s.port and not port_is_free(host, s.port)]
    if busy:
        raise ConfigurationError(
            "; ".join(f"port {s.port} ({s.name}) is in use on {host}" for s in busy)
            + ". Stop what uses it or choose another port (see `promoteros dev --help`)."
        )
    _stop_on_signals()
    target = prepare_environment()
    from promoteros_pipelines.runtime.simulated_world import anchor_world

    # before the code location loads: partitions start where the simulated history starts
    anchor = anchor_world(dt.datetime.now(dt.UTC))
    console.print(
        f"[green]✓[/] Platforms: the simulated world (seed {anchor.seed}, {anchor.artists:,} "
        f"artists, history from {anchor.history_start:%d %b %Y}) on real time; no real "
        "platform is called (set PROMOTEROS_<PLATFORM>_BASE_URL and credentials for that)."
    )
    # the pipelines call the simulator this command starts, on whatever port it was given
    os.environ.setdefault("PROMOTEROS_SIMULATOR_URL", f"http://{host}:{simulator_port}")
    # custom-report links point at this ingress and are signed with a secret kept in the home
    os.environ.setdefault(PUBLIC_URL_ENV, f"http://{host}:{ingress_port}")
    os.environ.setdefault(LINK_SECRET_ENV, _local_link_secret())
    # dg dev --use-active-venv: this interpreter's environment, activated or not
    os.environ.setdefault("VIRTUAL_ENV", sys.prefix)
    if signed_in:
        home = promoteros_home()
        os.environ.update(
            server_environment(target.warehouse_url, local_secret_key(home), local=True)
        )
        print_sign_in(ensure_local_admin(target.warehouse_url, home), f"http://{host}:{port}")
    else:
        print_ui_auth_off(port)
    children: list[subprocess.Popen] = []
    # each run's own log (every step, at DEBUG) would scroll past here: it goes to a file, and
    # the UI shows it per run; --verbose keeps everything on the terminal
    log_path = promoteros_home() / "logs" / "dagster.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log_path, "ab") as dagster_log:
            for service in wanted:
                quiet = not verbose and service.dagster
                output = {"stdout": dagster_log, "stderr": dagster_log} if quiet else {}
                # each service in a process group of its own: stopping it stops what it
                # started (dg dev starts the webserver, the daemon and a code server)
                children.append(
                    subprocess.Popen(
                        service.argv, env=os.environ.copy(), start_new_session=True, **output
                    )
                )
                console.print(f"[green]✓[/] {service.name}: {service.url}")
            if not verbose:
                console.print(f"Dagster's log (UI, daemon, runs): {log_path}")
            console.print("Press Ctrl-C to stop.")
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        raise ConfigurationError(
            f"a service exited on its own; see its output above (and {log_path})"
        )
    except KeyboardInterrupt:
        console.print("Stopping...")
    finally:
        _stop_all(children)
        if target.embedded is not None and not target.embedded_was_running:
            target.embedded.stop()
            console.print("Stopped the embedded PostgreSQL.")


def _local_link_secret() -> str:
    """A random secret for this PROMOTEROS_HOME, made once and readable only by its owner.

    Set PROMOTEROS_LINK_SECRET yourself for anything beyond one machine's development.
    """
    path = promoteros_home() / "link-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop everything cleanly, even when a shell started us with
    SIGINT ignored (background jobs in scripts)."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def _stop_all(children: list[subprocess.Popen], grace: float = 20.0) -> None:
    """Ctrl-C to each service's whole group, then SIGKILL to any group still there."""
    for child in children:
        _signal_group(child, signal.SIGINT)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        _signal_group(child, signal.SIGKILL)  # anything the service left behind
