"""``promoteros booking list|show|respond|management``: the booking opportunities from a
terminal.

``respond`` records the artist management's answer exactly as the ``booking.response``
webhook does (accepted and declined close the opportunity, counter keeps it open);
``management`` sets the contact an approved offer is mailed to.
"""

import json
from datetime import date, datetime
from typing import Any

import click
import psycopg
from rich.markup import escape
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.defs.booking import opportunity_store as store
from promoteros_pipelines.domain.booking_offer import RESPONSES, STATUSES
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready


def _warehouse() -> PostgresWarehouse:
    return PostgresWarehouse(database_url=ensure_ready().warehouse_url)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _money(value: float | None, currency: str = "") -> str:
    return "unknown" if value is None else f"{value:,.0f} {currency}".rstrip()


@click.group("booking")
def command() -> None:
    """Booking opportunities: artist-venue pairs scored 80 or more, their recommendation and
    projection, the offer workflow and the artist's answer."""


@command.command("list")
@click.option("--org", "organisation", help="Only this organisation (slug).")
@click.option("--status", type=click.Choice(STATUSES), help="Only opportunities in this status.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one opportunity per line.")
@click.option("--limit", default=200, show_default=True, help="How many.")
@friendly_errors
def list_command(organisation: str | None, status: str | None, as_json: bool, limit: int) -> None:
    """List opportunities, highest score first."""
    rows = store.list_opportunities(
        _warehouse(), organisation=organisation, status=status, limit=limit
    )
    if as_json:
        for row in rows:
            click.echo(json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True))
        return
    if not rows:
        click.echo("No booking opportunities match.")
        return
    table = Table("id", "artist", "venue", "score", "status", "window", "expected gross")
    for row in rows:
        table.add_row(
            str(row["id"]),
            f"{escape(row['artist'])} ({row['artist_id']})",
            f"{escape(row['venue'])} ({row['venue_id']})",
            f"{row['score']:.0f}",
            row["status"],
            f"{row['window_start']} to {row['window_end']}",
            _money(row["projection"].get("expected_gross"), row["currency"]),
        )
    console.print(table, markup=True, highlight=False)


def describe(row: dict[str, Any]) -> list[str]:
    """The opportunity as plain lines: recommendation, routing, competition, projection."""
    rec, routing, projection = row["recommendation"], row["routing"], row["projection"]
    currency = projection.get("currency") or row["currency"]
    lines = [
        f"Opportunity {row['id']}: {row['artist']} (artist {row['artist_id']}) at "
        f"{row['venue']} (venue {row['venue_id']}, {row['city']}), organisation "
        f"{row['organisation']}",
        f"Status: {row['status']}"
        + (f" ({row['status_reason']})" if row["status_reason"] else "")
        + f"; score {row['score']:.0f}"
        + (f"; approval {row['approval_id']}" if row["approval_id"] else ""),
        f"Window: {row['window_start']} to {row['window_end']} "
        f"({rec.get('window_reason', 'no reason recorded')})",
        "",
        "Recommendation",
        f"  {rec.get('summary', '')}",
        f"  Why this score: {rec.get('score_explanation', '')}",
        "",
        f"Routing (within {routing.get('radius_km', 400):.0f} km)",
    ]
    nearby = routing.get("nearby_dates") or []
    lines += [
        f"  {d['event_date']}: {d['venue_name']}, {d['city']} ({d['distance_km']:.0f} km)"
        for d in nearby
    ] or ["  No announced date nearby."]
    competition = rec.get("competition") or {}
    lines += ["", f"Competition in {competition.get('market', row['city'])}"]
    lines.append(f"  {competition.get('verdict', 'not analysed')}")
    lines += [
        f"  - {s['date']}: {s['venue_name']} ({s['when']})" for s in competition.get("shows", [])
    ]
    scenarios = projection.get("scenarios") or {}
    if scenarios:
        lines += ["", f"Projection ({currency})".ljust(24) + "P10".rjust(12) + "P50".rjust(12)
                  + "P90".rjust(12)]  # fmt: skip
        for label, key in (
            ("Attendance", "attendance"),
            ("Gross", "gross"),
            ("Venue costs", "venue_costs"),
            ("Artist fee", "artist_fee"),
            ("Margin", "margin"),
        ):
            cells = "".join(f"{scenarios[q][key]:>12,.0f}" for q in ("p10", "p50", "p90"))
            lines.append(f"  {label:<22}{cells}")
        fee = projection["fee"]
        break_even = projection.get("break_even_attendance")
        lines += [
            "  Break-even attendance: "
            + (f"{break_even:,} of {projection['capacity']:,}" if break_even else "none (a "
               "ticket does not cover its per-head cost)"),
            f"  Suggested fee: guarantee {_money(fee['guarantee_low'])} to "
            f"{_money(fee['guarantee_high'], currency)}, plus {fee['artist_split']:.0%} of the "
            "net above the guarantee",
            "",
            "Assumptions",
            *(f"  - {text}" for text in projection.get("assumptions", [])),
        ]  # fmt: skip
    if row["response"]:
        note = f": {row['response_note']}" if row["response_note"] else ""
        lines += ["", f"Answer: {row['response']}{note}"]
    if row["status"] in ("new", "pending_approval", "sent", "followed_up"):
        lines += ["", f"Record an answer: promoteros booking respond {row['id']} "
                  "accepted|declined|counter [--note TEXT]"]  # fmt: skip
    return lines


@command.command("show")
@click.argument("opportunity_id", type=int)
@friendly_errors
def show_command(opportunity_id: int) -> None:
    """Show one opportunity's recommendation and financial projection."""
    row = store.get(_warehouse(), opportunity_id)
    if row is None:
        raise click.ClickException(str(store.UnknownOpportunity(opportunity_id)))
    click.echo("\n".join(describe(row)))


@command.command("respond")
@click.argument("opportunity_id", type=int)
@click.argument("response", type=click.Choice(RESPONSES))
@click.option("--note", help="What they said (a counter-offer's terms, a reason).")
@friendly_errors
def respond_command(opportunity_id: int, response: str, note: str | None) -> None:
    """Record the artist management's answer to an offer."""
    try:
        row = store.record_response(_warehouse(), opportunity_id, response, note)
    except (store.UnknownOpportunity, store.ResponseRefused) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Opportunity {row['id']}: {row['response']} recorded; status {row['status']}.")


@command.command("management")
@click.argument("artist_id", type=int)
@click.argument("email")
@click.option("--name", required=True, help="Who the offer is addressed to.")
@friendly_errors
def management_command(artist_id: int, email: str, name: str) -> None:
    """Set the artist's management contact (where approved offers are mailed)."""
    if "@" not in email.strip("@"):
        raise click.ClickException(f"{email!r} is not an email address")
    try:
        store.set_management(_warehouse(), artist_id, name, email)
    except psycopg.errors.ForeignKeyViolation:
        raise click.ClickException(f"there is no artist {artist_id}; check the id") from None
    click.echo(f"Offers for artist {artist_id} now go to {name} <{email}>.")
