"""``promoteros stop``: stop the embedded PostgreSQL server left running under PROMOTEROS_HOME."""

import click

from promoteros_pipelines.runtime.embedded_postgres import EmbeddedPostgres
from promoteros_pipelines.settings import configured_database_url, promoteros_home


@click.command("stop")
def command() -> None:
    """Stop the embedded PostgreSQL server (a server named by PROMOTEROS_DATABASE_URL is never
    touched)."""
    server = EmbeddedPostgres(promoteros_home())
    if server.stop():
        click.echo(f"Stopped the embedded PostgreSQL in {server.pgdata}.")
    else:
        click.echo(f"No embedded PostgreSQL is running in {server.pgdata}.")
    if configured_database_url():
        click.echo("PROMOTEROS_DATABASE_URL is set: that server is yours and was left running.")
