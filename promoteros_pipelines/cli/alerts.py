"""``promoteros alerts list|replay``: see notifications and resend dead ones."""

import click
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.defs.alerts.delivery import list_notifications, replay_dead
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready

STATUSES = ["pending", "deferred", "sending", "sent", "capped", "dead"]


def _warehouse() -> PostgresWarehouse:
    return PostgresWarehouse(database_url=ensure_ready().warehouse_url)


@click.group("alerts")
def command() -> None:
    """Alert notifications (one per alert, person and channel) and their dead letters."""


@command.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@friendly_errors
def list_command(status: str | None, limit: int) -> None:
    """List the latest notifications, newest first."""
    rows = list_notifications(_warehouse(), status, limit)
    table = Table("id", "alert", "to", "channel", "status", "attempts", "when", "error")
    for row in rows:
        when = row["sent_at"] or row["next_attempt_at"] or ""
        table.add_row(
            str(row["notification_id"]),
            str(row["alert_id"]),
            row["email"],
            row["channel"],
            row["status"],
            str(row["attempts"]),
            str(when)[:19],
            (row["last_error"] or "")[:60],
        )
    click.echo(f"{len(rows)} notifications" + (f" with status {status}" if status else ""))
    if rows:
        console.print(table)


@command.command("replay")
@click.option("--channel", type=click.Choice(["email", "slack", "sms", "in_app"]))
@click.option("--id", "notification_id", type=int, help="Only this notification.")
@friendly_errors
def replay(channel: str | None, notification_id: int | None) -> None:
    """Make dead notifications due again (same idempotency key, attempts reset)."""
    count = replay_dead(_warehouse(), channel, notification_id)
    click.echo(
        f"{count} dead notification(s) pending again; the next alert_delivery run sends them."
    )
