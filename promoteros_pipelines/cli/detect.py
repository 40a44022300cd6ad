"""``promoteros detect viral --since DATE``: viral signals and events over a past period.

A backfill of the ``viral_detection`` job's day partitions, run in this process and recorded
in the Dagster instance (the UI shows the runs and the partitions as materialised): the daily
metrics the detection reads first, then signals once over the range and events replayed at
every 30-minute round, in one run each.
"""

import datetime as dt
import time
import warnings
from typing import Any

import click

from promoteros_pipelines.cli.common import console, friendly_errors, prepare_environment
from promoteros_pipelines.settings import HISTORY_START_ENV, history_start

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# viral_signals reads 84h before a round and 6 days of baselines before that
DAILY_DAYS_BEFORE = 10


@click.group("detect")
def command() -> None:
    """Run a detector over a past period of the warehouse's history."""


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _run(job: Any, instance: Any, first: dt.date, last: dt.date, label: str) -> Any:
    tags = {RANGE_START: first.isoformat(), RANGE_END: last.isoformat()}
    started = time.monotonic()
    with console.status(f"{label} {first} to {last}..."):
        result = job.execute_in_process(
            instance=instance, tags=tags, run_config=QUIET, raise_on_error=False
        )
    mark = "[green]✓[/]" if result.success else "[red]✗[/]"
    console.print(
        f"{mark} {label} {first} to {last}: run {result.run_id} "
        f"({time.monotonic() - started:.1f} s)"
    )
    if not result.success:
        raise click.ClickException(
            f"{label} failed; open run {result.run_id} in `promoteros dev` for its log."
        )
    return result


def _metadata(result: Any, asset: str) -> dict[str, Any]:
    materializations = result.asset_materializations_for_node(asset)
    if not materializations:
        return {}
    return {key: value.value for key, value in materializations[-1].metadata.items()}


@command.command("viral")
@click.option("--since", "since_text", required=True, help="First day (YYYY-MM-DD, UTC).")
@click.option("--until", "until_text", help="Last day, included (default: today, up to now).")
@click.option(
    "--daily/--no-daily",
    default=True,
    show_default=True,
    help="Compute daily_artist_metrics for the days the detection reads first (turn off when "
    "they are already backfilled).",
)
@friendly_errors
def viral(since_text: str, until_text: str | None, daily: bool) -> None:
    """Backfill viral_signals and viral_events from SINCE to UNTIL in one process.

    Replays detection as of every 30-minute round that saw new observations, as the schedule
    would have, and replaces the period's signals and events (running it twice changes
    nothing). Events are confirmed by the current viral model, or by the rules if none is
    trained. No alerts are filed for past days. Progress goes to stderr.
    """
    warnings.filterwarnings("ignore", module="dagster")
    today = dt.datetime.now(dt.UTC).date()
    since = _day(since_text)
    until = _day(until_text) or today
    assert since is not None
    start = history_start()
    if since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}")
    if until > today:
        raise click.BadParameter(f"--until {until} is in the future (today is {today} UTC)")
    if since < start:
        raise click.ClickException(
            f"The partitions start on {start} ({HISTORY_START_ENV}); {since} is before it. Set "
            f"{HISTORY_START_ENV}={since} (the first day your history holds) for every "
            "promoteros and dagster process, then run this again."
        )
    started = time.monotonic()
    prepare_environment()
    from dagster import DagsterInstance

    from promoteros_pipelines.definitions import defs

    with DagsterInstance.get() as instance:
        yesterday = today - dt.timedelta(days=1)
        if daily and min(until, yesterday) >= start:
            first = max(start, since - dt.timedelta(days=DAILY_DAYS_BEFORE))
            _run(
                defs.resolve_job_def("daily_analytics"),
                instance,
                first,
                min(until, yesterday),
                "Daily metrics",
            )
        result = _run(
            defs.resolve_job_def("viral_detection"), instance, since, until, "Viral detection"
        )
    signals = _metadata(result, "viral_signals")
    events = _metadata(result, "viral_events")
    click.echo(
        f"{signals.get('signals_in_window', 0):,} signals; {events.get('events_written', 0):,} "
        f"events ({events.get('confirmed', 0):,} confirmed, {events.get('dismissed', 0):,} "
        f"dismissed, {events.get('still_open', 0):,} open) over {events.get('rounds', 0):,} "
        f"rounds, confirmed by {events.get('confirmed_by', 'n/a')}; "
        f"{time.monotonic() - started:.1f} s"
    )
