"""The demo run: every asset materialised once, in dependency order, on the default world.

Each step is a separate Dagster run recorded in the instance, so `promoteros dev` shows the
demo's runs and materialisations afterwards. Groups add their steps to ``DEMO_STEPS``.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dagster import AssetKey, DagsterInstance

from promoteros_pipelines.definitions import defs


@dataclass(frozen=True)
class DemoStep:
    label: str
    assets: list[str]
    partition_key: Callable[[], str | None] = field(default=lambda: None)


DEMO_STEPS: list[DemoStep] = [
    DemoStep(
        "Reference data (organisations, venues, recipients)",
        ["organisations", "venues", "recipients"],
    ),
]


@dataclass(frozen=True)
class StepOutcome:
    step: DemoStep
    success: bool
    run_id: str


def run_demo(instance: DagsterInstance) -> Iterator[StepOutcome]:
    """Run each step and yield its outcome as soon as it finishes (for progress output)."""
    job = defs.resolve_implicit_global_asset_job_def()
    for step in DEMO_STEPS:
        result = job.execute_in_process(
            instance=instance,
            asset_selection=[AssetKey(name) for name in step.assets],
            partition_key=step.partition_key(),
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            tags={"promoteros/demo": "true"},
        )
        yield StepOutcome(step, result.success, result.run_id)
        if not result.success:
            return
