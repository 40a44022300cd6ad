"""``promoteros approvals list|approve|reject``: decide gated requests from a terminal.

Decisions from here go through the same rules as the webhook and the approval page (no
self-approval, the policy's roles, N distinct approvers, nothing on a closed approval); the
channel recorded is ``cli``. Bulk: every id is judged on its own; the command exits 1 if any
was refused and says which and why.
"""

import json
from datetime import UTC, datetime

import click
from rich.markup import escape
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.defs.approvals.store import decide, list_approvals
from promoteros_pipelines.domain.approvals import POLICIES, STATUSES, DecisionRefused, describe
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready

STATUS_STYLE = {"approved": "green", "auto_approved": "green", "rejected": "red", "expired": "red"}


def _warehouse() -> PostgresWarehouse:
    return PostgresWarehouse(database_url=ensure_ready().warehouse_url)


def _age(since: datetime) -> str:
    minutes = int((datetime.now(UTC) - since).total_seconds() // 60)
    return (
        f"{minutes // 1440}d {minutes // 60 % 24}h"
        if minutes >= 1440
        else (f"{minutes // 60}h {minutes % 60}m")
    )


@click.group("approvals")
def command() -> None:
    """Approval gates: offers and gated pipeline triggers waiting for a person's decision.

    An approval is pending until enough of the people its policy names approve it, one of them
    rejects it, or it expires (timeout = reject). The requester never decides their own.
    """


@command.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only approvals in this status.")
@click.option("--kind", type=click.Choice(sorted(POLICIES)), help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one approval per line.")
@click.option("--limit", default=200, show_default=True, help="How many.")
@friendly_errors
def list_command(status: str | None, kind: str | None, as_json: bool, limit: int) -> None:
    """List approvals: pending first (most urgent, then oldest), then decided ones."""
    rows = list_approvals(_warehouse(), status=status, kind=kind, limit=limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.as_json(), sort_keys=True, default=str))
        return
    if not rows:
        click.echo("No approvals match.")
        return
    table = Table("id", "kind", "what", "requested by", "age", "priority", "status", "expires")
    for row in rows:
        style = STATUS_STYLE.get(row.status, "")
        table.add_row(
            row.id,
            row.kind,
            escape(describe(row.kind, row.subject)),
            escape(row.requested_by),
            _age(row.requested_at),
            row.priority,
            f"[{style}]{row.status}[/]" if style else row.status,
            row.expires_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table, markup=True, highlight=False)


def _decide_all(ids: tuple[str, ...], by: str, decision: str, reason: str | None) -> None:
    warehouse = _warehouse()
    refused = 0
    for approval_id in ids:
        try:
            outcome = decide(warehouse, approval_id, by, decision, reason=reason, channel="cli")
        except DecisionRefused as error:
            refused += 1
            click.echo(f"{approval_id}: refused: {error}", err=True)
            continue
        more = (
            f" ({outcome.approvals_so_far} of {outcome.required_approvals} approvals; "
            "waiting for more)"
            if outcome.status == "pending"
            else ""
        )
        click.echo(f"{approval_id}: {outcome.status}{more}")
    if refused:
        raise click.ClickException(f"{refused} of {len(ids)} decisions refused (see above)")


@command.command("approve")
@click.argument("ids", nargs=-1, required=True)
@click.option("--by", "by", required=True, help="Your email, as in the recipients list.")
@click.option("--reason", help="Why (optional for an approval).")
@friendly_errors
def approve_command(ids: tuple[str, ...], by: str, reason: str | None) -> None:
    """Approve one or more approvals by id."""
    _decide_all(ids, by, "approved", reason)


@command.command("reject")
@click.argument("ids", nargs=-1, required=True)
@click.option("--by", "by", required=True, help="Your email, as in the recipients list.")
@click.option("--reason", required=True, help="Why: the requester sees it.")
@friendly_errors
def reject_command(ids: tuple[str, ...], by: str, reason: str) -> None:
    """Reject one or more approvals by id (a reason is required)."""
    _decide_all(ids, by, "rejected", reason)
