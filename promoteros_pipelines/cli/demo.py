"""``promoteros demo``: set up everything and materialise every asset on the simulated world."""

import time

import click
import psycopg
from psycopg import sql
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors, prepare_environment

SUMMARY_TABLES = (
    "organisations",
    "venues",
    "recipients",
    "artists",
    "artist_platform_ids",
    "metric_observations",
    "trending_candidates",
    "artist_metrics_latest",
    "webhook_events",
)


@click.command("demo")
@friendly_errors
def command() -> None:
    """Run the main job: database up, migrations applied, every asset materialised.

    Prints a summary of what landed in the warehouse and how to open the Dagster UI.
    The embedded database is stopped again afterwards if this command started it.
    """
    from dagster import DagsterInstance

    started = time.monotonic()
    target = prepare_environment()
    from promoteros_pipelines.demo import Demo

    failed = None
    try:
        with console.status("Generating the simulated world..."):
            demo = Demo()
        steps = demo.steps()
        with (
            DagsterInstance.get() as instance,
            Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} steps"),
                TimeElapsedColumn(),
                console=console,
            ) as progress,
        ):
            task = progress.add_task("Running the demo", total=len(steps))
            for outcome in demo.run(instance):
                mark = "[green]✓[/]" if outcome.success else "[red]✗[/]"
                extra = f"  ({outcome.detail})" if outcome.detail else ""
                run = f"  (run {outcome.run_id[:8]})" if outcome.run_id else ""
                progress.console.print(f"{mark} {outcome.label}{extra}{run}")
                progress.advance(task)
                if not outcome.success:
                    failed = outcome
        _print_summary(target.warehouse_url, time.monotonic() - started)
    finally:
        if target.embedded is not None and not target.embedded_was_running:
            target.embedded.stop()
    if failed:
        raise click.ClickException(
            f"Step '{failed.label}' failed; open run {failed.run_id} in `promoteros dev`."
        )
    console.print(
        "\nNext: [bold]promoteros dev[/] opens the Dagster UI on http://127.0.0.1:3000 with "
        "these runs, assets and their metadata."
    )


def _print_summary(url: str, seconds: float) -> None:
    table = Table(title=f"Warehouse after the demo ({seconds:.0f} s)")
    table.add_column("table (schema promoteros)")
    table.add_column("rows", justify="right")
    with psycopg.connect(url) as conn:
        for name in SUMMARY_TABLES:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("promoteros", name))
            count = conn.execute(query).fetchone()
            table.add_row(name, f"{count[0] if count else 0:,}")
    console.print(table)
