"""The demo run: every asset materialised on the simulated world, in dependency order.

Asset steps are separate Dagster runs recorded in the instance, so `promoteros dev` shows the
demo's runs and materialisations afterwards. The simulator runs as a separate process on a
free loopback port for the length of the demo, and its clock is moved to the end of each
metric window before that window is pulled, as the schedule would meet it.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dagster import AssetKey, DagsterInstance, Definitions, materialize

from promoteros_pipelines import demo_world
from promoteros_pipelines.defs.partitions import six_hourly
from promoteros_pipelines.resources.platforms.resources import (
    SIMULATOR_URL_ENV,
    BandsintownResource,
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import DATABASE_URL_ENV

# The simulator is local: the real platforms' rate limits (5-10 requests/s) would only make
# the demo wait. Scheduled runs keep the defaults.
PLATFORM_RESOURCES = {
    "spotify": SpotifyResource,
    "youtube": YouTubeResource,
    "tiktok": TikTokResource,
    "instagram": InstagramResource,
    "bandsintown": BandsintownResource,
}
SIMULATOR_PACE = {"requests_per_second": 2_000.0, "burst": 200, "max_concurrency": 16}
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _demo_resources(defs: Definitions) -> dict[str, object]:
    resources = dict(defs.resources or {})
    for name, factory in PLATFORM_RESOURCES.items():
        resources[name] = factory.from_env(**SIMULATOR_PACE)
    return resources


PULLED_WINDOWS = 4
ANALYSED_DAYS = 3


@dataclass
class DemoContext:
    instance: DagsterInstance
    warehouse: PostgresWarehouse
    world: demo_world.World
    simulator_url: str


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


def materialise(
    label: str,
    assets: list[str],
    partition_key: str | None = None,
    before: Callable[[DemoContext], None] | None = None,
    op_config: dict[str, dict] | None = None,
) -> DemoStep:
    def run(context: DemoContext) -> StepOutcome:
        from promoteros_pipelines.definitions import defs

        if before:
            before(context)
        result = materialize(
            list(defs.assets or []),
            selection=[AssetKey(name) for name in assets],
            resources=_demo_resources(defs),
            instance=context.instance,
            partition_key=partition_key,
            raise_on_error=False,
            run_config={
                **RUN_CONFIG,
                "ops": {name: {"config": config} for name, config in (op_config or {}).items()},
            },
            tags={"promoteros/demo": "true"},
        )
        return StepOutcome(label, result.success, run_id=result.run_id)

    return DemoStep(label, run)


def _seed(context: DemoContext) -> StepOutcome:
    counts = demo_world.seed_roster(context.warehouse, context.world)
    detail = (
        f"{counts['artists']:,} artists, {counts['observations']:,} observations"
        if counts["artists"]
        else "roster already seeded"
    )
    return StepOutcome("Seed the roster and its history", True, detail)


def _recent_windows(world: demo_world.World) -> list[tuple[str, dt.datetime]]:
    last_end = world.present.replace(minute=0, second=0, microsecond=0)
    last_end -= dt.timedelta(hours=last_end.hour % 6)
    ends = [last_end - dt.timedelta(hours=6 * n) for n in range(PULLED_WINDOWS - 1, -1, -1)]
    return [
        (six_hourly.get_partition_key_for_timestamp((end - dt.timedelta(hours=6)).timestamp()), end)
        for end in ends
    ]


def demo_steps(world: demo_world.World) -> list[DemoStep]:
    steps = [
        materialise(
            "Reference data (organisations, venues, recipients)",
            ["organisations", "venues", "recipients"],
        ),
        DemoStep("Seed the roster and its history", _seed),
        materialise(
            "Discover trending artists and track the new ones",
            ["trending_candidates", "tracked_artists"],
            before=lambda c: demo_world.set_clock(c.simulator_url, c.world.present),
        ),
    ]
    for key, end in _recent_windows(world):
        steps.append(
            materialise(
                f"Pull platform metrics for the window ending {end:%Y-%m-%d %H:%M} UTC",
                ["platform_metrics"],
                partition_key=key,
                before=lambda c, end=end: demo_world.set_clock(c.simulator_url, end),
            )
        )
    steps.append(
        materialise(
            "Latest metrics and the InfluxDB mirror", ["artist_metrics_latest", "influxdb_mirror"]
        )
    )
    steps.extend(_analytics_steps(world))
    return steps


def _analytics_steps(world: demo_world.World) -> list[DemoStep]:
    """Daily features and momentum for the last days, then detection and what follows it,
    all "as of" the simulated present rather than today's date."""
    present = world.present
    as_of = {"as_of": present.isoformat()}
    days = [present - dt.timedelta(days=n) for n in range(ANALYSED_DAYS, 0, -1)]
    steps = [
        materialise(
            f"Daily metrics and momentum for {day:%Y-%m-%d}",
            ["daily_artist_metrics", "artist_momentum"],
            partition_key=f"{day:%Y-%m-%d}",
        )
        for day in days
    ]
    yesterday = f"{days[-1]:%Y-%m-%d}"
    # the last full week before the present, keyed by its Monday
    start_of_week = present.date() - dt.timedelta(days=present.weekday())
    last_monday = f"{start_of_week - dt.timedelta(days=7):%Y-%m-%d}"
    return [
        *steps,
        materialise(
            "Viral signals and events (rules; no model trained yet)",
            ["viral_signals", "viral_events"],
            op_config={"viral_signals": as_of, "viral_events": as_of},
        ),
        materialise(
            "Alert preferences and notifications (mail goes to the outbox)",
            ["alert_preferences", "alert_notifications"],
        ),
        materialise(f"Daily digest for {yesterday}", ["daily_digest"], partition_key=yesterday),
        materialise(
            f"Weekly executive reports for the week of {last_monday}",
            ["weekly_executive_report"],
            partition_key=last_monday,
        ),
    ]


@dataclass
class Demo:
    world: demo_world.World = field(default_factory=demo_world.demo_world)

    def steps(self) -> list[DemoStep]:
        return demo_steps(self.world)

    def run(self, instance: DagsterInstance) -> Iterator[StepOutcome]:
        """Run each step and yield its outcome as soon as it finishes (for progress output)."""
        warehouse = PostgresWarehouse(database_url=os.environ[DATABASE_URL_ENV])
        previous = os.environ.get(SIMULATOR_URL_ENV)
        with demo_world.running_simulator(self.world) as simulator_url:
            os.environ[SIMULATOR_URL_ENV] = simulator_url
            try:
                context = DemoContext(instance, warehouse, self.world, simulator_url)
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
