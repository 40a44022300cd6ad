"""``promoteros demo``: set up everything and run the product's jobs on the simulated world."""

import datetime as dt
import logging
import time
import warnings
from pathlib import Path

import click
import psycopg
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from promoteros_pipelines.cli.common import console, friendly_errors, prepare_environment
from promoteros_pipelines.cli.ui import print_sign_in, print_ui_auth_off
from promoteros_pipelines.runtime.ui_auth import auth_enabled, ensure_local_admin
from promoteros_pipelines.settings import promoteros_home

SUMMARY_SQL = {
    "events": """
        SELECT count(*) FILTER (WHERE status <> 'dismissed'),
               count(*) FILTER (WHERE status = 'confirmed'),
               count(*) FILTER (WHERE confirmed_by = 'model'),
               count(*) FILTER (WHERE confirmed_by = 'rules')
        FROM promoteros.viral_events""",
    "top": """
        SELECT a.name FROM promoteros.viral_events e JOIN promoteros.artists a USING (artist_id)
        WHERE e.status = 'confirmed'
        ORDER BY coalesce(e.max_probability, 0) DESC, e.peak_strength DESC LIMIT 3""",
    "model": "SELECT version FROM promoteros.viral_models ORDER BY created_at DESC LIMIT 1",
    "alerts": "SELECT count(*) FROM promoteros.alerts",
    "notifications": """
        SELECT channel, status, count(*) FROM promoteros.notification_log
        GROUP BY channel, status ORDER BY channel, status""",
    "pdfs": "SELECT count(*) FROM promoteros.report_archive",
    "tickets": """
        SELECT (SELECT count(*) FROM promoteros.show_sell_through),
               (SELECT count(*) FROM promoteros.show_sell_through WHERE at_risk),
               (SELECT count(*) FROM promoteros.show_milestones),
               (SELECT count(*) FROM promoteros.ticket_sales)""",
    "booking": """
        SELECT (SELECT count(*) FROM promoteros.booking_opportunities),
               (SELECT count(*) FROM promoteros.booking_opportunities
                 WHERE status = 'pending_approval'),
               (SELECT a.name || ' at ' || v.name || ' (' || round(o.score) || ')'
                  FROM promoteros.booking_opportunities o
                  JOIN promoteros.artists a USING (artist_id)
                  JOIN promoteros.venues v USING (venue_id)
                 ORDER BY o.score DESC, o.id LIMIT 1)""",
}


@click.command("demo")
@friendly_errors
def command() -> None:
    """Run the product on a simulated world that lives in the present.

    Database up, migrations applied; the world's last five weeks written as the 6-hourly pulls
    would have; then the jobs the schedules run: discovery and pulls over HTTP, daily analytics,
    viral signals, the viral model, detection, alerts (to the outbox), the digest and this
    week's reports. Prints what happened and where to look. The embedded database is stopped
    again afterwards if this command started it.
    """
    # the demo prints its own progress; library warnings would only interleave with it
    warnings.filterwarnings("ignore", module="dagster")
    from dagster import DagsterInstance

    from promoteros_pipelines.runtime.simulated_world import anchor_world, window_end

    started = time.monotonic()
    target = prepare_environment()
    now = window_end(dt.datetime.now(dt.UTC))
    # before the code location loads: its partitions start where this world's history starts
    anchor = anchor_world(now)
    console.print(
        f"[green]✓[/] Simulated world (seed {anchor.seed}, {anchor.artists:,} artists) served "
        f"by a local simulator: no real platform is called. History from "
        f"{anchor.history_start:%a %d %b %Y} to {now:%a %d %b %H:%M} UTC (the last closed "
        "6-hour window)."
    )
    from promoteros_pipelines.demo import Demo, alert_channels_line

    console.print(f"[green]✓[/] {alert_channels_line()}", soft_wrap=True)
    failed = None
    try:
        with console.status("Generating the simulated world..."):
            demo = Demo(anchor, now)
        steps = demo.steps()
        with (
            DagsterInstance.get() as instance,
            Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} steps"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("Running the demo", total=len(steps))
            for outcome in demo.run(instance):
                mark = "[green]✓[/]" if outcome.success else "[red]✗[/]"
                extra = f" ({outcome.detail})" if outcome.detail else ""
                progress.console.print(f"{mark} {outcome.label}{extra}", soft_wrap=True)
                progress.advance(task)
                if not outcome.success:
                    failed = outcome
        if not failed:
            _print_summary(target.warehouse_url, time.monotonic() - started)
            _print_ui_access(target.warehouse_url)
    finally:
        if target.embedded is not None and not target.embedded_was_running:
            target.embedded.stop()
    if failed:
        raise click.ClickException(
            f"Step '{failed.label}' failed ({failed.detail or 'see its run'}); open run "
            f"{failed.run_id} in `promoteros dev` for its log."
        )


def _print_summary(url: str, seconds: float) -> None:
    with psycopg.connect(url) as conn:
        open_events, confirmed, by_model, by_rules = conn.execute(SUMMARY_SQL["events"]).fetchone()  # type: ignore[misc]
        top = [row[0] for row in conn.execute(SUMMARY_SQL["top"]).fetchall()]
        model = conn.execute(SUMMARY_SQL["model"]).fetchone()
        alerts = conn.execute(SUMMARY_SQL["alerts"]).fetchone()[0]  # type: ignore[index]
        notifications = conn.execute(SUMMARY_SQL["notifications"]).fetchall()
        pdfs = conn.execute(SUMMARY_SQL["pdfs"]).fetchone()[0]  # type: ignore[index]
        shows, at_risk, milestones, points = conn.execute(SUMMARY_SQL["tickets"]).fetchone()  # type: ignore[misc]
        opportunities, offers, best = conn.execute(SUMMARY_SQL["booking"]).fetchone()  # type: ignore[misc]
    home = promoteros_home()
    outbox = home / "outbox"
    emails = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    if not model:
        detector = "no model yet (not enough history): confirmed by the rules alone"
    elif by_rules and by_model:
        detector = (
            f"{by_model:,} confirmed by the viral model {model[0]}, {by_rules:,} by the rules "
            "before it existed"
        )
    elif by_rules:
        detector = f"confirmed by the rules before the viral model {model[0]} was trained"
    else:
        detector = f"confirmed by the viral model {model[0]}"
    lines = [
        f"\n[bold]Done in {seconds:.0f} s.[/] What happened:",
        f"• Viral events: {open_events:,} open, {confirmed:,} confirmed; {detector}.",
    ]
    if top:
        lines.append(f"  Strongest: {', '.join(top)}.")
    by_channel: dict[str, list[str]] = {}
    for channel, status, count in notifications:
        by_channel.setdefault(channel, []).append(f"{count:,} {status}")
    channels = "; ".join(f"{c}: {', '.join(s)}" for c, s in sorted(by_channel.items()))
    lines.append(
        f"• Ticket sales: {shows:,} upcoming shows, {points:,} sales points, "
        f"{milestones:,} milestones reached, {at_risk:,} shows at risk."
    )
    lines.append(
        f"• Booking: {opportunities:,} opportunities"
        + (f", best {best}" if best else "")
        + f"; {offers:,} offers waiting for approval (promoteros booking list)."
    )
    lines.append(f"• Alerts: {alerts:,} filed; notifications by channel: {channels or 'none'}.")
    lines.append(f"• Reports: {pdfs:,} PDFs in {_relative(home / 'reports')}/")
    lines.append(
        f"• Outbox: {emails:,} e-mails (.eml) in {_relative(outbox)}/ (no SMTP server is set: "
        "PROMOTEROS_SMTP_URL sends them for real)"
    )
    lines.append(
        "\nNext: [bold].venv/bin/promoteros dev[/] opens the Dagster UI on http://127.0.0.1:3000 "
        "with these runs, the assets' partitions and metadata; the schedules continue the "
        "world from here in real time."
    )
    for line in lines:
        console.print(line, soft_wrap=True)


def _print_ui_access(url: str) -> None:
    """The local admin (made on the first run) and how to sign in, or the red warning."""
    if not auth_enabled():
        print_ui_auth_off(3000)
        return
    # authkit writes an audit line (JSON) to stdout for the new admin: kept out of the demo
    audit = logging.getLogger("dagster_authkit.audit")
    audit.disabled = True  # (its import sets the level, so not the level)
    try:
        admin = ensure_local_admin(url, promoteros_home())
    finally:
        audit.disabled = False
    print_sign_in(admin, "http://127.0.0.1:3000")


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
