"""``promoteros ui``: the Dagster UI behind sign-in, as a production deployment serves it.

``promoteros dev`` is the local way (it makes its own secret and a local admin); this command
is for a server: it refuses to start without PROMOTEROS_UI_SECRET_KEY, keeps authkit's
HTTPS-only cookie (put TLS in front), and serves only the UI: run ``dagster-daemon run`` beside
it for schedules, sensors and the run queue.
"""

import os
import sys
from pathlib import Path

import click
from rich.markup import escape

from promoteros_pipelines.cli.common import console, friendly_errors, prepare_environment
from promoteros_pipelines.runtime.ui_auth import (
    UI_AUTH_ENV,
    LocalAdmin,
    auth_enabled,
    production_secret_key,
    server_environment,
)


def print_sign_in(admin: LocalAdmin, url: str) -> None:
    """How to sign in, on the terminal of `promoteros dev` and `promoteros demo`."""
    if admin.password is not None:
        console.print(
            f"[green]✓[/] Sign in to the Dagster UI at {url} as [bold]{admin.username}[/] "
            f"with password [bold]{escape(admin.password)}[/] (kept in "
            f"{admin.password_file}). Add people with `promoteros users add NAME --role "
            "Viewer|Operator|Developer|Admin`.",
            soft_wrap=True,
        )
    else:
        console.print(
            f"[green]✓[/] Sign in to the Dagster UI at {url} as [bold]{admin.username}[/] with "
            "the password you set for it (`promoteros users list` shows who may sign in).",
            soft_wrap=True,
        )


def print_ui_auth_off(port: int) -> None:
    console.print(
        f"[bold red]{UI_AUTH_ENV}=off: the Dagster UI has no sign-in. Anyone who can reach "
        f"port {port} can launch, terminate and wipe. Unset {UI_AUTH_ENV} to require it.[/]",
        soft_wrap=True,
    )


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=3000, show_default=True, help="Port to listen on.")
@click.option(
    "--workspace",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Dagster workspace file; default: the project's workspace.yaml.",
)
@friendly_errors
def command(host: str, port: int, workspace: Path | None) -> None:
    """Serve the Dagster UI behind sign-in (Viewer, Operator, Developer, Admin).

    Needs PROMOTEROS_UI_SECRET_KEY (a long random value; it signs the sign-in cookies) and at
    least one Admin (`promoteros users add NAME --role Admin`). PROMOTEROS_UI_AUTH=off serves
    the UI without sign-in instead. Without PROMOTEROS_DATABASE_URL it starts the embedded
    database, which stays up after the UI stops (`promoteros stop`).
    """
    signed_in = auth_enabled()
    secret = production_secret_key() if signed_in else ""  # refuse before starting anything
    target = prepare_environment()
    workspace_file = workspace or Path(__file__).resolve().parents[2] / "workspace.yaml"
    options = ["-w", str(workspace_file), "-h", host, "-p", str(port)]
    if not signed_in:
        print_ui_auth_off(port)
        webserver = str(Path(sys.executable).with_name("dagster-webserver"))
        os.execv(webserver, [webserver, *options])
    os.environ.update(server_environment(target.warehouse_url, secret, local=False))
    console.print(f"[green]✓[/] Dagster UI with sign-in on http://{host}:{port}")
    module = "promoteros_pipelines.runtime.ui_server"
    os.execv(sys.executable, [sys.executable, "-m", module, *options])
