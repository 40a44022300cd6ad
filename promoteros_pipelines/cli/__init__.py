"""The ``promoteros`` command line: one click group, one module per command family."""

import click

from promoteros_pipelines.cli import database, demo, dev, events, ingress, reference, stop

COMMAND_MODULES = (database, demo, dev, events, ingress, reference, stop)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="promoteros-pipelines")
def main() -> None:
    """PromoterOS analytics back end: run the pipelines, the database and the UI.

    With no PROMOTEROS_DATABASE_URL set, every command uses an embedded PostgreSQL under
    PROMOTEROS_HOME (default .promoteros/), started on demand and stopped by `promoteros stop`.
    """


for module in COMMAND_MODULES:
    main.add_command(module.command)
