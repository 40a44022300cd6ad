"""The demo run: the product's own jobs over a simulated world that lives in the present.

The world is anchored at the current 6-hour window (``runtime.simulated_world``; tests pass
their own ``now``). The demo writes its history as the 6-hourly pulls would have, then runs
the jobs the schedules run, in order, each as a named Dagster run tagged with the step's
title, so `promoteros dev` shows them in the runs list, the timeline and the ops report:

1. reference data; the roster's history (seeded, one materialisation per 6-hour window);
2. the last four windows pulled over HTTP from the simulator (``discover_and_pull``), its clock
   moved to each window's end;
3. daily metrics and momentum for every day of the history (one ``daily_analytics`` run);
4. viral signals replayed over the history (the 30-minute schedule would have found them),
   then the viral model trained on them (labels need 14 days of hindsight), then detection as
   of now with that model: the events and alerts a promoter would get today;
5. alert delivery (mail to the outbox), yesterday's digest and this week's reports so far.

After the demo, `promoteros dev` serves the same world on the wall clock, so the schedules
continue the history without a gap.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dagster import AssetKey, AssetMaterialization, DagsterInstance, Definitions, MetadataValue

from promoteros_pipelines import demo_ticketing, demo_world
from promoteros_pipelines.resources.platforms.resources import (
    SIMULATOR_URL_ENV,
    BandsintownResource,
    ChartmetricResource,
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.simulated_world import WINDOW, WorldAnchor
from promoteros_pipelines.settings import DATABASE_URL_ENV

# The simulator is local: the real platforms' rate limits (5-10 requests/s) would only make
# the demo wait. Scheduled runs keep the defaults.
PLATFORM_RESOURCES = {
    "spotify": SpotifyResource,
    "youtube": YouTubeResource,
    "tiktok": TikTokResource,
    "instagram": InstagramResource,
    "bandsintown": BandsintownResource,
    "chartmetric": ChartmetricResource,
}
SIMULATOR_PACE = {"requests_per_second": 2_000.0, "burst": 200, "max_concurrency": 16}
# errors only: each step prints its own line, and the UI has every run's full log
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
DEMO_TAG = "promoteros/demo"
STEP_TAG = "promoteros/demo_step"

PULLED_WINDOWS = 4


@dataclass
class DemoContext:
    instance: DagsterInstance
    warehouse: PostgresWarehouse
    world: demo_world.World
    anchor: WorldAnchor
    now: dt.datetime
    simulator_url: str
    definitions: Definitions


@dataclass(frozen=True)
class StepOutcome:
    label: str
    success: bool
    detail: str = ""
    run_id: str | None = None


@dataclass(frozen=True)
class DemoStep:
    label: str
    run: Callable[[DemoContext], StepOutcome]


def demo_definitions(world: demo_world.World | None = None) -> Definitions:
    """The code location's assets and jobs, with platform clients paced for the simulator
    (and, given its ``world``, the simulator's ticketing API)."""
    from promoteros_pipelines.definitions import defs

    resources = dict(defs.resources or {})
    for name, factory in PLATFORM_RESOURCES.items():
        resources[name] = factory.from_env(**SIMULATOR_PACE)
    if world is not None:
        organisations = world.organisations["organisation_id"].to_list()
        resources["ticketing_api"] = demo_ticketing.ticketing_api(
            os.environ[SIMULATOR_URL_ENV], organisations
        )
    return Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        schedules=defs.schedules,  # the weekly report's job is only reachable through them
        resources=resources,
    )


def alert_channels_line() -> str:
    """Which alert channels deliver in this environment, in one line."""
    from promoteros_pipelines.defs.alerts.delivery import Channels
    from promoteros_pipelines.resources.mailer import SMTP_URL_ENV
    from promoteros_pipelines.resources.notifier import TARGETS_ENV
    from promoteros_pipelines.resources.sms import SmsGateway

    channels = Channels.from_settings(os.environ.get(TARGETS_ENV, ""), SmsGateway.from_env())
    mail = "SMTP" if os.environ.get(SMTP_URL_ENV) else "the outbox folder"
    line = f"Alerts go by e-mail (to {mail}) and in-app"
    skipped = channels.skipped()
    return line + (f"; not set up, so skipped: {'; '.join(skipped)}." if skipped else ".")


def run_job(
    context: DemoContext,
    label: str,
    job: str,
    *,
    assets: list[str] | None = None,
    partition_key: str | None = None,
    partition_range: tuple[str, str] | None = None,
    op_config: dict[str, dict] | None = None,
) -> StepOutcome:
    """Run the named ``job`` (optionally only some of its ``assets``) as the schedule would."""
    tags = {DEMO_TAG: "true", STEP_TAG: label}
    if partition_range:
        tags["dagster/asset_partition_range_start"] = partition_range[0]
        tags["dagster/asset_partition_range_end"] = partition_range[1]
    result = context.definitions.resolve_job_def(job).execute_in_process(
        run_config={
            **RUN_CONFIG,
            "ops": {name: {"config": config} for name, config in (op_config or {}).items()},
        },
        instance=context.instance,
        partition_key=partition_key,
        asset_selection=[AssetKey(name) for name in assets] if assets else None,
        tags=tags,
        raise_on_error=False,
    )
    return StepOutcome(label, result.success, run_id=result.run_id)


def job_step(label: str, job: str, **kwargs) -> DemoStep:
    return DemoStep(label, lambda context: run_job(context, label, job, **kwargs))


def runs_step(label: str, runs: Callable[[DemoContext], Iterator[StepOutcome]]) -> DemoStep:
    """A step made of several runs: it stops at the first that fails."""

    def run(context: DemoContext) -> StepOutcome:
        count = 0
        for outcome in runs(context):
            count += 1
            if not outcome.success:
                return StepOutcome(label, False, outcome.label, outcome.run_id)
        return StepOutcome(label, True, f"{count} runs")

    return DemoStep(label, run)


def _seed(context: DemoContext) -> StepOutcome:
    label = "Seed the roster and its history"
    last_seeded = context.now - WINDOW * PULLED_WINDOWS
    seeded = demo_world.seed_roster(
        context.warehouse, context.world, context.anchor.history_start, last_seeded
    )
    for end in seeded.window_ends:  # the partitions view shows the seeded windows as filled
        context.instance.report_runless_asset_event(
            AssetMaterialization(
                asset_key="platform_metrics",
                partition=f"{end - WINDOW:%Y-%m-%d-%H:%M}",
                description="Seeded by `promoteros demo` from the simulated world's model.",
                metadata={"source": MetadataValue.text("simulator-seed")},
            )
        )
    days = (last_seeded.date() - context.anchor.history_start).days
    roster = f"{seeded.artists:,} artists tracked, " if seeded.artists else ""
    detail = f"{roster}{seeded.observations:,} observations over {days} days, every 6 hours"
    return StepOutcome(label, True, detail)


def _pull_windows(now: dt.datetime) -> list[dt.datetime]:
    return [now - WINDOW * n for n in range(PULLED_WINDOWS - 1, -1, -1)]


def _pull(end: dt.datetime) -> DemoStep:
    label = f"Discover and pull the window ending {end:%Y-%m-%d %H:%M} UTC"

    def run(context: DemoContext) -> StepOutcome:
        demo_world.set_clock(context.simulator_url, end)
        return run_job(context, label, "discover_and_pull", partition_key=_window_key(end))

    return DemoStep(label, run)


def _window_key(end: dt.datetime) -> str:
    return f"{end - WINDOW:%Y-%m-%d-%H:%M}"


def _as_of(moment: dt.datetime) -> dict[str, str]:
    return {"as_of": moment.isoformat()}


def _signal_replay(context: DemoContext) -> StepOutcome:
    """One run replays the history's signals and events (a backfill of the past days), as
    `promoteros detect viral --since` does: past events are recorded, no alert is filed."""
    label = "Viral signals and events replayed over the history (no alerts for the past)"
    first = context.anchor.history_start
    # up to two days ago: the live round as of now (last 48 h) then finds the newest episodes
    # and files their alerts, as it would have on the day
    last = context.now.date() - dt.timedelta(days=2)
    return run_job(
        context,
        label,
        "viral_detection",
        assets=["viral_signals", "viral_events"],
        partition_range=(first.isoformat(), last.isoformat()),
    )


def _train(context: DemoContext) -> StepOutcome:
    label = "Train the viral model on the signals with 14 days of hindsight"
    outcome = run_job(
        context,
        label,
        "viral_model_training",
        op_config={"viral_model": _as_of(context.now)},
    )
    trained = context.warehouse.read_frame(
        "SELECT version FROM promoteros.viral_models ORDER BY created_at DESC LIMIT 1"
    )
    detail = f"model {trained['version'][0]}" if trained.height else "not enough history: rules"
    return StepOutcome(label, outcome.success, detail, outcome.run_id)


def _described(
    context: DemoContext,
    outcome: StepOutcome,
    query: str,
    describe: Callable[[dict], str],
    params: list | None = None,
) -> StepOutcome:
    """``outcome`` with a detail from the first row of ``query`` (what the run left behind)."""
    found = context.warehouse.read_frame(query, params).row(0, named=True)
    return StepOutcome(outcome.label, outcome.success, describe(found), outcome.run_id)


def _detect(context: DemoContext) -> StepOutcome:
    label = "Viral detection as of now"
    config = _as_of(context.now)
    outcome = run_job(
        context,
        label,
        "viral_detection",
        partition_key=context.now.date().isoformat(),
        op_config={"viral_signals": config, "viral_events": config},
    )

    def describe(found: dict) -> str:
        events = "event" if found["open"] == 1 else "events"
        by = [f"{found[who]} by the {who}" for who in ("model", "rules") if found[who]]
        return f"{found['open']} open {events}, {found['confirmed']} confirmed" + (
            f" ({', '.join(by)})" if by else ""
        )

    return _described(
        context,
        outcome,
        "SELECT count(*) FILTER (WHERE status <> 'dismissed') AS open,"
        " count(*) FILTER (WHERE status = 'confirmed') AS confirmed,"
        " count(*) FILTER (WHERE confirmed_by = 'model') AS model,"
        " count(*) FILTER (WHERE confirmed_by = 'rules') AS rules"
        " FROM promoteros.viral_events",
        describe,
    )


def _ticket_webhooks(context: DemoContext) -> StepOutcome:
    label = "Ticket sales sent by webhook (each sent twice, shuffled, 3 hours late)"
    mapped = demo_ticketing.map_venues(context.warehouse, context.simulator_url, context.world)
    posted = demo_ticketing.send_webhooks(context.simulator_url, os.environ[DATABASE_URL_ENV])
    ingested = demo_ticketing.ingest_events(
        context.instance,
        context.definitions,
        context.warehouse,
        RUN_CONFIG,
        {DEMO_TAG: "true", STEP_TAG: label},
    )
    if ingested.failed_run or not mapped:
        detail = "the ingest run failed" if mapped else "no venue of the world could be mapped"
        return StepOutcome(label, False, detail, ingested.failed_run)
    found = context.warehouse.read_frame(
        "SELECT (SELECT count(*) FROM promoteros.shows) AS shows,"
        " (SELECT count(*) FROM promoteros.ticket_sales) AS points,"
        " (SELECT count(*) FROM promoteros.show_milestones) AS milestones"
    ).row(0, named=True)
    detail = (
        f"{posted.accepted:,} of {posted.posts:,} signed posts accepted; "
        f"{ingested.runs} ingest runs kept {found['points']:,} sales points of "
        f"{found['shows']:,} shows once each and filed {found['milestones']:,} milestones"
    )
    return StepOutcome(label, posted.accepted == posted.posts, detail)


def _ticket_pull(context: DemoContext) -> StepOutcome:
    label = "Ticket sales pulled from the ticketing API (every page, every organisation)"
    outcome = run_job(context, label, "pull_ticketing_api")
    return _described(
        context,
        outcome,
        "SELECT count(DISTINCT show_id) AS shows FROM promoteros.ticket_sales"
        " WHERE observed_at = $1",
        lambda found: f"{found['shows']:,} shows' counts as of now",
        [context.now],
    )


def _sell_through(context: DemoContext) -> StepOutcome:
    label = "Sell-through, sell-out forecasts and shows at risk, as of now"
    outcome = run_job(
        context,
        label,
        "refresh_show_sell_through",
        op_config={"show_sell_through": _as_of(context.now)},
    )
    return _described(
        context,
        outcome,
        "SELECT count(*) AS shows, count(*) FILTER (WHERE at_risk) AS at_risk,"
        " (SELECT count(*) FROM promoteros.shows WHERE status = 'played') AS played"
        " FROM promoteros.show_sell_through",
        lambda found: (
            f"{found['shows']:,} upcoming shows, {found['at_risk']:,} at risk; "
            f"{found['played']:,} already played"
        ),
    )


def _opportunities(context: DemoContext) -> StepOutcome:
    label = "Booking opportunities above the threshold, offers filed for approval"
    outcome = run_job(context, label, "booking_opportunities_job")
    return _described(
        context,
        outcome,
        "SELECT count(*) AS opportunities, count(approval_id) AS offers,"
        " (SELECT count(*) FROM promoteros.booking_scores) AS scores"
        " FROM promoteros.booking_opportunities",
        lambda found: (
            f"{found['scores']:,} pairs scored, {found['opportunities']:,} opportunities, "
            f"{found['offers']:,} offers waiting for approval"
        ),
    )


def demo_steps(anchor: WorldAnchor, now: dt.datetime) -> list[DemoStep]:
    today = now.date()
    yesterday = today - dt.timedelta(days=1)
    monday = today - dt.timedelta(days=today.weekday())
    return [
        job_step("Reference data (organisations, venues, people, alerts)", "load_reference_data"),
        DemoStep("Seed the roster and its history", _seed),
        *(_pull(end) for end in _pull_windows(now)),
        DemoStep("Ticket sales by webhook", _ticket_webhooks),
        DemoStep("Ticket sales pulled", _ticket_pull),
        DemoStep("Sell-through as of now", _sell_through),
        job_step(
            f"Daily metrics and momentum, {anchor.history_start:%d %b} to {yesterday:%d %b}",
            "daily_analytics",
            partition_range=(f"{anchor.history_start}", f"{yesterday}"),
        ),
        DemoStep("Viral signals replayed over the history", _signal_replay),
        DemoStep("Train the viral model", _train),
        DemoStep("Viral detection as of now", _detect),
        job_step(
            "Booking scores (tour dates, audience by city, every artist-venue pair worth it)",
            "booking_scoring",
        ),
        DemoStep("Booking opportunities", _opportunities),
        job_step("Alert delivery (mail goes to the outbox)", "alert_delivery"),
        job_step(
            f"Daily digest for {yesterday:%a %d %b}",
            "daily_digest_job",
            partition_key=f"{yesterday}",
        ),
        job_step(
            f"Weekly reports for this week so far (from {monday:%a %d %b})",
            "weekly_executive_report_job",
            partition_key=f"{monday}",
        ),
    ]


@dataclass
class Demo:
    """``now`` is the wall clock unless a test pins it; the world is anchored at its window."""

    anchor: WorldAnchor
    now: dt.datetime
    world: demo_world.World = field(init=False)

    def __post_init__(self) -> None:
        self.world = demo_world.demo_world(self.anchor)

    def steps(self) -> list[DemoStep]:
        return demo_steps(self.anchor, self.now)

    def run(self, instance: DagsterInstance) -> Iterator[StepOutcome]:
        """Run each step and yield its outcome as soon as it finishes (for progress output)."""
        warehouse = PostgresWarehouse(database_url=os.environ[DATABASE_URL_ENV])
        previous = os.environ.get(SIMULATOR_URL_ENV)
        with demo_world.running_simulator(self.world, self.now) as simulator_url:
            os.environ[SIMULATOR_URL_ENV] = simulator_url
            try:
                context = DemoContext(
                    instance,
                    warehouse,
                    self.world,
                    self.anchor,
                    self.now,
                    simulator_url,
                    demo_definitions(self.world),
                )
                for step in self.steps():
                    outcome = step.run(context)
                    yield outcome
                    if not outcome.success:
                        return
            finally:
                if previous is None:
                    os.environ.pop(SIMULATOR_URL_ENV, None)
                else:
                    os.environ[SIMULATOR_URL_ENV] = previous
