"""``promoteros ingress``: serve the signed-webhook receiver (n8n, scrapers, ticketing, UI)."""

import logging

import click

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.ingress.config import KNOWN_SOURCES, IngressSettings, secrets_env
from promoteros_pipelines.runtime.database import ensure_ready
from promoteros_pipelines.settings import redact


@click.command("ingress")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8787, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes sharing the port (stateless replicas; about one per spare core).",
)
@click.option(
    "--reuse-port",
    is_flag=True,
    help="Bind with SO_REUSEPORT so that several separate ingress processes share the port"
    " (each one to restart, budget or pin on its own; the kernel spreads connections).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@friendly_errors
def command(host: str, port: int, workers: int, reuse_port: bool, log_level: str) -> None:
    """Receive webhooks at POST http://HOST:PORT/webhooks/{source}/{event_type}.

    Each source's secrets come from PROMOTEROS_WEBHOOK_SECRETS_<SOURCE> (whsec_..., several
    separated by spaces or commas for rotation); a source without one rejects everything.
    Also serves /healthz, /metrics and /openapi.json.
    """
    if workers > 1 and reuse_port:
        raise click.UsageError(
            "--reuse-port is for separate processes of one worker each; use one or the other."
        )
    from promoteros_pipelines.ingress.app import create_app
    from promoteros_pipelines.ingress.server import serve

    with console.status("Starting the database and applying migrations..."):
        target = ensure_ready()
    settings = IngressSettings.from_env(database_url=target.warehouse_url)
    console.print(f"[green]✓[/] Warehouse: {redact(target.warehouse_url)}")
    for source in sorted(settings.sources):
        count = len(settings.verifiers.get(source, ()))
        state = (
            f"{count} secret(s)" if count else f"[yellow]no secret[/] (set {secrets_env(source)})"
        )
        console.print(f"  source {source}: {state}")
    unconfigured = [s for s in KNOWN_SOURCES if not settings.verifiers.get(s)]
    if len(unconfigured) == len(KNOWN_SOURCES):
        console.print("[yellow]No source has a secret: every webhook will be rejected (401).[/]")
    click.echo(f"Webhook ingress on http://{host}:{port}/webhooks/{{source}}/{{event_type}}")
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(settings) if workers == 1 else None
    serve(app, host, port, log_level, workers, reuse_port=reuse_port)
