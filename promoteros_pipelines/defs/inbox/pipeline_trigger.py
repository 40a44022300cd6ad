"""``pipeline.trigger`` webhooks: materialise allow-listed assets (or an asset job's assets).

The ingress already refuses names outside the allow-list; the sensor checks again, because
the allow-list of the code location is the one that counts and a replay may be older than
a change to it. A named asset that this code location does not define yet keeps its event
``waiting``; the sensor re-reads waiting events each tick and starts them once it exists.

A trigger runs in the smallest named job that holds every asset it names (each job has one
partitioning), so the run shows under a job people know and no generated job clutters the
Jobs list; ``tests/test_definitions.py`` checks that every asset belongs to a named job.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RepositoryDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    TimeWindowPartitionsDefinition,
    sensor,
)
from pydantic import ValidationError

from promoteros_pipelines.defs.inbox.store import InboxEvent
from promoteros_pipelines.defs.inbox.ticks import (
    CADENCE,
    MINIMUM_INTERVAL_SECONDS,
    TickPlan,
    describe_invalid,
    evaluate_tick,
    event_run_tags,
    run_key,
)
from promoteros_pipelines.events import (
    TRIGGER_TAG_PREFIX,
    PipelineTrigger,
    allowed_pipeline_targets,
    parse_event,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.dagster_home import PLATFORM_API_TAGS

EVENT_TYPE = "pipeline.trigger"
MAX_RUNS_PER_TICK = 50
# Resources that call a platform API: a run using one joins the one-run-per-platform queue.
PLATFORM_RESOURCES = frozenset({"spotify", "youtube", "tiktok", "instagram", "bandsintown"})
# Assets renamed to match their tables; triggers sent with the old name keep working.
RENAMED_ASSETS = {"trending_artists": "trending_candidates"}


def named_jobs(repository: RepositoryDefinition) -> list[Any]:
    """The code location's own jobs (Dagster's implicit ``__ASSET_JOB`` is not one)."""
    return [job for job in repository.get_all_jobs() if not job.name.startswith("__")]


def job_for(keys: Sequence[AssetKey], repository: RepositoryDefinition) -> str | None:
    """The smallest named job that materialises every one of ``keys``."""
    holding = [
        (len(job_keys), job.name)
        for job in named_jobs(repository)
        if set(keys) <= (job_keys := set(job.asset_layer.executable_asset_keys))
    ]
    return min(holding)[1] if holding else None


@dataclass(frozen=True)
class GatedTrigger:
    """What a gate sees of a trigger that is ready to run."""

    event: InboxEvent
    trigger: PipelineTrigger
    job_name: str
    keys: Sequence[AssetKey]
    partition_key: str | None


# A gate (``definitions.py`` passes the approvals area's) answers None to let the run start,
# or ("wait" | "refuse", reason). It is asked on every tick while the event waits.
Gate = Callable[[PostgresWarehouse, GatedTrigger], tuple[str, str] | None]


class Refused(Exception):
    """The trigger can never run as sent: the event goes ``dead`` with this message."""


class NotYetDefined(Exception):
    """A named target does not exist in this code location yet: the event waits."""


def _current_partition(partitions_def: Any) -> str | None:
    """The partition of the period in progress, for partitionings that include it (viral
    detection's days: a trigger without a key runs the live round, as the schedule does)."""
    if isinstance(partitions_def, TimeWindowPartitionsDefinition) and partitions_def.end_offset:
        return partitions_def.get_last_partition_key()
    return None


def _asset_keys(
    trigger: PipelineTrigger, repository: RepositoryDefinition
) -> tuple[list[AssetKey], str | None]:
    """The assets a trigger names and the partition to run (``Refused`` when it cannot)."""
    allowed = allowed_pipeline_targets()
    refused = [n for n in [*trigger.assets, trigger.job] if n and n not in allowed]
    if refused:
        raise Refused(f"not allow-listed: {', '.join(refused)}")
    graph = repository.asset_graph
    keys = [AssetKey(RENAMED_ASSETS.get(name, name)) for name in trigger.assets]
    unknown = [key.to_user_string() for key in keys if not graph.has(key)]
    if trigger.job:
        if not repository.has_job(trigger.job):
            unknown.append(trigger.job)
        else:
            job_keys = repository.get_job(trigger.job).asset_layer.executable_asset_keys
            if not job_keys:
                raise Refused(f"job {trigger.job} materialises no assets; it cannot be triggered")
            keys.extend(sorted(job_keys))
    if unknown:
        raise NotYetDefined(
            f"this code location does not define {', '.join(unknown)} yet; the event is kept "
            "and runs once it does"
        )
    partitions = {graph.get(key).partitions_def for key in keys}
    if len(partitions) > 1:
        raise Refused("the named assets are partitioned differently; trigger them separately")
    partitions_def = partitions.pop()
    if partitions_def is None and trigger.partition_key:
        raise Refused("partition_key given, but the named assets are not partitioned")
    partition_key = trigger.partition_key or _current_partition(partitions_def)
    if partitions_def is not None and not partition_key:
        raise Refused("the named assets are partitioned: name a partition_key")
    return sorted(set(keys)), partition_key


def trigger_run_tags(
    trigger: PipelineTrigger, keys: Sequence[AssetKey], repository: RepositoryDefinition
) -> dict[str, str]:
    """The sender's ``n8n/*`` labels, then the tags that are ours to set.

    The payload model already refuses other keys; the prefix is checked again here because
    this is where tags reach Dagster. A run that calls a platform API carries the platform tag,
    so a trigger queues behind the scheduled pull exactly as that pull would.
    """
    tags = {k: v for k, v in trigger.tags.items() if k.startswith(TRIGGER_TAG_PREFIX)}
    graph = repository.asset_graph
    for key in keys:
        assets_def = graph.assets_def_for_key(key)
        if assets_def.required_resource_keys & PLATFORM_RESOURCES:
            tags.update(PLATFORM_API_TAGS)
            break
    return tags


def plan_trigger_runs(
    events: Sequence[InboxEvent],
    repository: RepositoryDefinition,
    gate: Callable[[GatedTrigger], tuple[str, str] | None] | None = None,
) -> TickPlan:
    """Run requests, events refused (dead) and events waiting, with their reasons.

    ``gate`` may hold a trigger back (waiting, e.g. for an approval) or refuse it.
    """
    plan = TickPlan()
    for event in events:
        try:
            trigger = parse_event(EVENT_TYPE, event.payload)
            assert isinstance(trigger, PipelineTrigger)
            keys, partition_key = _asset_keys(trigger, repository)
        except ValidationError as error:
            plan.refused[event.event_id] = f"pipeline.trigger refused: {describe_invalid(error)}"
            continue
        except Refused as error:
            plan.refused[event.event_id] = f"pipeline.trigger refused: {error}"
            continue
        except NotYetDefined as error:
            plan.waiting[event.event_id] = str(error)
            continue
        job_name = job_for(keys, repository)
        if job_name is None:
            plan.refused[event.event_id] = (
                "pipeline.trigger refused: no job materialises "
                f"{', '.join(key.to_user_string() for key in keys)} together; trigger them "
                "separately"
            )
            continue
        held = gate(GatedTrigger(event, trigger, job_name, keys, partition_key)) if gate else None
        if held is not None:
            verdict, reason = held
            target = plan.waiting if verdict == "wait" else plan.refused
            target[event.event_id] = reason if verdict == "wait" else f"pipeline.trigger {reason}"
            continue
        plan.requests.append(
            RunRequest(
                run_key=run_key(EVENT_TYPE, event.event_id, attempts=event.attempts),
                job_name=job_name,
                asset_selection=keys,
                partition_key=partition_key,
                tags={
                    **trigger_run_tags(trigger, keys, repository),
                    **event_run_tags(EVENT_TYPE, [event]),
                },
            )
        )
    return plan


def build_pipeline_trigger_sensor(
    jobs: Sequence[Any], gate: Gate | None = None
) -> SensorDefinition:
    """The ``pipeline.trigger`` sensor over the code location's jobs (it may start any),
    each trigger passing ``gate`` first when one is given."""

    @sensor(
        name="pipeline_trigger_events",
        jobs=[job for job in jobs if not job.name.startswith("__")],
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"{CADENCE}, materialises the allow-listed assets (or asset job) each new "
            "pipeline.trigger webhook names, one run per event."
        ),
    )
    def pipeline_trigger_events(
        context: SensorEvaluationContext, warehouse: PostgresWarehouse
    ) -> SensorResult | SkipReason:
        repository = context.repository_def
        assert repository is not None, "pipeline_trigger_events needs its Definitions"

        def bound(gated: GatedTrigger) -> tuple[str, str] | None:
            return gate(warehouse, gated) if gate else None

        return evaluate_tick(
            context,
            warehouse,
            EVENT_TYPE,
            lambda events: plan_trigger_runs(events, repository, bound),
            limit=MAX_RUNS_PER_TICK,
        )

    return pipeline_trigger_events
