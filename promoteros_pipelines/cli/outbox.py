"""``promoteros outbox list|deliver|replay``: see and resend outbound notifications."""

import click
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.resources.notifier import Notifier
from promoteros_pipelines.runtime.database import ensure_ready


def _notifier() -> Notifier:
    return Notifier.from_env(ensure_ready().warehouse_url)


@click.group("outbox")
def command() -> None:
    """Outbound deliveries to n8n, Slack and the UI (the outbox and its dead letters)."""


@command.command("list")
@click.option(
    "--status", type=click.Choice(["pending", "delivered", "dead"]), help="Only this status."
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@friendly_errors
def list_deliveries(status: str | None, limit: int) -> None:
    """List the latest deliveries, newest first."""
    rows = _notifier().list_deliveries(status, limit)
    table = Table("id", "target", "event type", "status", "attempts", "next / delivered", "error")
    for row in rows:
        when = row["delivered_at"] or (row["next_attempt_at"] if row["status"] == "pending" else "")
        table.add_row(
            str(row["delivery_id"]),
            row["target"],
            row["event_type"],
            row["status"],
            str(row["attempts"]),
            str(when)[:19],
            (row["last_error"] or "")[:60],
        )
    click.echo(f"{len(rows)} deliveries" + (f" with status {status}" if status else ""))
    if rows:
        console.print(table)


@command.command("deliver")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@friendly_errors
def deliver(limit: int) -> None:
    """Attempt every due delivery once now (the delivery sensor does this continuously)."""
    report = _notifier().deliver_pending(limit)
    click.echo(
        f"delivered {len(report.delivered)}, retrying {len(report.retried)}, "
        f"dead {len(report.dead)}, deferred (circuit open) {len(report.deferred)}"
    )


@command.command("replay")
@click.argument("delivery_id", type=int)
@click.option("--force", is_flag=True, help="Also resend a delivery that already succeeded.")
@friendly_errors
def replay(delivery_id: int, force: bool) -> None:
    """Make delivery DELIVERY_ID due again with its attempts reset (same idempotency key)."""
    if _notifier().replay(delivery_id, force=force):
        click.echo(
            f"Delivery {delivery_id} is pending again; `promoteros outbox deliver` sends it."
        )
        return
    raise click.ClickException(
        f"No dead or pending delivery {delivery_id}; check `promoteros outbox list` "
        "(use --force to resend one that was already delivered)."
    )
