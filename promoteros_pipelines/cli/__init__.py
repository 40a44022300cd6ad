"""The ``promoteros`` command line: one click group, one module per command family.

Command modules are imported only when their command runs (or help lists them), so a quick
command such as ``promoteros stop`` does not pay for importing Dagster. Register a new module
in ``COMMANDS``: command name -> module in this package exposing ``command``.
"""

import importlib

import click

COMMANDS = {
    "alerts": "alerts",
    "approvals": "approvals",
    "archive": "archive",
    "booking": "booking",
    "db": "database",
    "demo": "demo",
    "detect": "detect",
    "dev": "dev",
    "evaluate": "evaluate",
    "events": "events",
    "ingress": "ingress",
    "load": "reference",
    "outbox": "outbox",
    "report": "report",
    "simulate": "simulate",
    "status": "status",
    "stop": "stop",
    "ui": "ui",
    "users": "users",
    "validate": "validate",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMANDS.get(name)
        if module is None:
            return None
        return importlib.import_module(f"promoteros_pipelines.cli.{module}").command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="promoteros-pipelines")
def main() -> None:
    """PromoterOS analytics back end: run the pipelines, the database and the UI.

    With no PROMOTEROS_DATABASE_URL set, every command uses an embedded PostgreSQL under
    PROMOTEROS_HOME (default .promoteros/), started on demand and stopped by `promoteros stop`.
    """
