"""``promoteros events list|show|replay``: the webhook inbox, its dead letters and replays."""

import time

import click
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.defs.inbox.store import (
    STATUSES,
    ReplayRefused,
    get_event,
    list_events,
    payload_text,
    replay_event,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready

STATUS_STYLE = {"done": "green", "failed": "yellow", "dead": "red", "waiting": "cyan"}


def _warehouse() -> PostgresWarehouse:
    return PostgresWarehouse(database_url=ensure_ready().warehouse_url)


@click.group("events")
def command() -> None:
    """Webhook events received from n8n, scrapers, ticketing and the UI.

    Each event follows the Dagster run that handles it: pending, waiting (no job handles its
    type yet), running, done, failed (Dagster retries the run) or dead (retries used up, or a
    payload that cannot run). Dead events can be replayed, and so can running events whose
    run has ended or vanished (the stranded_events sensor also re-files those by itself).
    """


@command.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only events in this status.")
@click.option("--type", "event_type", help="Only this event type, e.g. scraper.metrics.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@friendly_errors
def list_command(status: str | None, event_type: str | None, limit: int) -> None:
    """List events, newest first."""
    events = list_events(_warehouse(), status=status, event_type=event_type, limit=limit)
    if not events:
        click.echo("No events match.")
        return
    table = Table("id", "type", "source", "received", "status", "tries", "run", "error")
    for event in events:
        style = STATUS_STYLE.get(event.status, "")
        table.add_row(
            str(event.event_id),
            event.event_type,
            event.source,
            event.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"[{style}]{event.status}[/]" if style else event.status,
            str(event.attempts),
            (event.run_id or "")[:8],
            (event.error or "")[:60],
        )
    console.print(table)


@command.command("show")
@click.argument("event_id", type=int)
@friendly_errors
def show_command(event_id: int) -> None:
    """Show one event: its status, run, error and payload."""
    event = get_event(_warehouse(), event_id)
    if event is None:
        raise click.ClickException(f"event {event_id} does not exist")
    for label, value in (
        ("event", event.event_id),
        ("type", event.event_type),
        ("source", event.source),
        ("webhook-id", event.webhook_id),
        ("received", event.received_at.isoformat()),
        ("status", event.status),
        ("attempts", event.attempts),
        ("run", event.run_id or "-"),
        ("updated", event.updated_at.isoformat()),
        ("error", event.error or "-"),
    ):
        click.echo(f"{label + ':':<12}{value}")
    click.echo("payload:")
    click.echo(payload_text(event.payload))


def _run_finished(run_id: str | None) -> tuple[bool, str]:
    """Whether the event's run (its latest retry) will do nothing more, and what it is doing."""
    if run_id is None:
        return True, "no run was recorded"
    from dagster import DagsterInstance

    from promoteros_pipelines.defs.inbox.recovery import describe, follow_run
    from promoteros_pipelines.runtime.dagster_home import ensure_dagster_home

    ensure_dagster_home()
    with DagsterInstance.get() as instance:
        state = follow_run(instance, run_id, time.time())
    return state.finished, describe(state)


@command.command("replay")
@click.argument("event_id", type=int)
@click.option(
    "--force",
    is_flag=True,
    help=(
        "Also replay a failed event (Dagster may still retry its run) or a running one whose "
        "run is still active. It may then run twice; the writers are idempotent, so nothing "
        "is stored twice, but the work is done twice."
    ),
)
@friendly_errors
def replay_command(event_id: int, force: bool) -> None:
    """Put an event back to pending; its sensor starts a new run within seconds.

    Dead events always; failed events with --force; running events when their run has
    finished, failed or no longer exists (the status sensors lost track), or with --force.
    The new run gets a run key naming the attempt.
    """
    try:
        attempts = replay_event(_warehouse(), event_id, force=force, run_finished=_run_finished)
    except ReplayRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"event {event_id} is pending again (attempt {attempts + 1} next)")
