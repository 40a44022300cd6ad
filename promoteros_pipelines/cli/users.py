"""``promoteros users add|list|set-role|remove``: who may sign in to the Dagster UI, as what.

The users live in the warehouse database (schema ``ui_auth``, see runtime/ui_auth.py), so
these commands work wherever the database is reachable. A person whose role changes or who is
removed is signed out of every open session within 10 seconds (authkit's cache of versions).
"""

import json
import secrets
import sys

import click
from rich.markup import escape
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.runtime.database import ensure_ready
from promoteros_pipelines.runtime.ui_auth import user_store
from promoteros_pipelines.runtime.ui_roles import ROLE_DESCRIPTIONS, ROLES, role_named
from promoteros_pipelines.settings import ConfigurationError

ROLE_HELP = "; ".join(f"{role}: {ROLE_DESCRIPTIONS[role]}" for role in ROLES)


def _role(text: str) -> str:
    try:
        return role_named(text)
    except ValueError as error:
        raise ConfigurationError(str(error)) from error


@click.group("users")
def command() -> None:
    """People who may sign in to the Dagster UI, and their roles.

    Viewer reads; Operator also launches runs and backfills and switches schedules and
    sensors; Developer also reloads code and wipes assets; Admin also manages users.
    """


@command.command("add")
@click.argument("username")
@click.option("--role", required=True, help=f"One of {', '.join(ROLES)}. {ROLE_HELP}.")
@click.option("--email", default="", help="Their e-mail address (shown in the UI's menu).")
@click.option("--name", "full_name", default="", help="Their full name.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin; else one is made and printed once.",
)
@friendly_errors
def add(username: str, role: str, email: str, full_name: str, password_stdin: bool) -> None:
    """Let USERNAME (letters, digits, '.', '_', '-') sign in with ROLE."""
    wanted = _role(role)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(18)
    with user_store(ensure_ready().warehouse_url) as store:
        store.add(username, password, wanted, email=email, full_name=full_name)
    console.print(f"[green]✓[/] {escape(username)} may now sign in as {wanted}.")
    if not password_stdin:
        console.print(
            f"Password (shown once; give it to them privately): [bold]{escape(password)}[/]"
        )


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one person per line.")
@friendly_errors
def list_command(as_json: bool) -> None:
    """Everyone who may sign in, Admins first."""
    with user_store(ensure_ready().warehouse_url) as store:
        people = store.list()
    if as_json:
        for person in people:
            click.echo(json.dumps(person.__dict__, sort_keys=True))
        return
    if not people:
        console.print("Nobody may sign in yet: `promoteros users add NAME --role Admin`.")
        return
    table = Table("user", "role", "name", "e-mail")
    for person in people:
        table.add_row(
            escape(person.username), person.role, escape(person.full_name), escape(person.email)
        )
    console.print(table)


@command.command("set-role")
@click.argument("username")
@click.argument("role")
@friendly_errors
def set_role(username: str, role: str) -> None:
    """Give USERNAME the role ROLE; they are signed out and sign in again with it."""
    wanted = _role(role)
    with user_store(ensure_ready().warehouse_url) as store:
        store.set_role(username, wanted)
    console.print(
        f"[green]✓[/] {escape(username)} is now {wanted} (their open sessions end within 10 s)."
    )


@command.command("remove")
@click.argument("username")
@friendly_errors
def remove(username: str) -> None:
    """Stop USERNAME from signing in; their open sessions end within 10 seconds."""
    with user_store(ensure_ready().warehouse_url) as store:
        store.remove(username)
    console.print(f"[green]✓[/] {escape(username)} can no longer sign in.")
