"""``platform_metrics`` in the Celery profile: a graph-backed asset, one op per platform.

Each ``pull_<platform>_metrics`` op pulls and stores its platform's rows and carries the op tag
``dagster-celery/queue: platform-api-<platform>``; ``summarise_platform_pulls`` then gives the
asset the same metadata (and the same failure when every platform failed) as the in-process
step. The ops pass nothing through an IO manager: each writes its rows to PostgreSQL and
reports its figures as output metadata, which the summary reads back from Dagster's event log
(also in PostgreSQL), so steps on different machines need no shared disk.
"""

import datetime as dt

from dagster import (
    AssetIn,
    AssetKey,
    AssetsDefinition,
    DagsterEventType,
    DagsterRun,
    In,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    graph_asset,
    op,
)

from promoteros_pipelines.defs.metrics.platform_pulls import (
    PLATFORMS,
    PlatformPull,
    failure_warning,
    pull_and_store,
    summary_metadata,
)
from promoteros_pipelines.defs.partitions import six_hourly
from promoteros_pipelines.runtime import celery_profile

PLATFORM_METRICS_DESCRIPTION = (
    "Followers, views, likes, posts and popularity of every tracked artist on Spotify, "
    "YouTube, TikTok and Instagram, stamped at the end of the 6-hour window (rows in "
    "`promoteros.metric_observations`, key artist/platform/metric/observed_at). A platform "
    "that is down fails its part only; re-running a window overwrites, it never duplicates."
)
GROUP, KINDS, OWNERS = "metrics", {"polars", "postgres"}, ["team:data-platform"]


def _pull_op(platform: str):
    @op(
        name=f"pull_{platform}_metrics",
        ins={"tracked_artists": In(Nothing)},
        out=Out(Nothing),
        required_resource_keys={"warehouse", platform},
        tags=celery_profile.platform_step_tags(platform),
        description=f"Pull and store every tracked artist's {platform} metrics for the window.",
    )
    def pull_platform(context: OpExecutionContext):
        done = pull_and_store(
            context.resources.warehouse,
            platform,
            getattr(context.resources, platform),
            context.partition_time_window.end,
        )
        if done is None:
            return Output(None, metadata={"platform": platform, "skipped": True})
        if warning := failure_warning(done):
            context.log.warning(warning)
        return Output(None, metadata=done.as_metadata())

    return pull_platform


PULL_OPS = {platform: _pull_op(platform) for platform in PLATFORMS}


def _run_ids(context: OpExecutionContext) -> list[str]:
    """This run and the runs it re-executes (a retry from failure skips the pulls that
    succeeded before; their figures are in the parent's event log)."""
    ids: list[str] = []
    run: DagsterRun | None = context.run
    while run is not None:
        ids.append(run.run_id)
        run = context.instance.get_run_by_id(run.parent_run_id) if run.parent_run_id else None
    return ids


def _pulls_of_run(context: OpExecutionContext) -> tuple[list[PlatformPull], dt.datetime]:
    """Each platform's figures (newest run first), and when the first pull started."""
    pulls: dict[str, PlatformPull] = {}
    started = dt.datetime.now(dt.UTC)
    kinds = {DagsterEventType.STEP_OUTPUT, DagsterEventType.STEP_START}
    for run_id in _run_ids(context):
        for entry in context.instance.all_logs(run_id, of_type=kinds):
            event = entry.dagster_event
            if event is None or not (event.step_key or "").split(".")[-1].startswith("pull_"):
                continue
            if event.event_type == DagsterEventType.STEP_START:
                started = min(started, dt.datetime.fromtimestamp(entry.timestamp, dt.UTC))
                continue
            metadata = event.step_output_data.metadata
            if "skipped" not in metadata and metadata["platform"].value not in pulls:
                pull = PlatformPull.from_metadata(metadata)
                pulls[pull.platform] = pull
    return [pulls[p] for p in PLATFORMS if p in pulls], started


@op(
    name="summarise_platform_pulls",
    ins={platform: In(Nothing) for platform in PLATFORMS},
    out=Out(Nothing),
    description="The window's per-platform table; fails when every platform failed.",
)
def summarise_platform_pulls(context: OpExecutionContext):
    pulls, started = _pulls_of_run(context)
    return Output(
        None, metadata=summary_metadata(pulls, context.partition_time_window.end, started)
    )


def per_platform_steps(tracked_artists: AssetsDefinition) -> AssetsDefinition:
    """``platform_metrics`` as four queued pulls and a summary (same key, same rows)."""

    @graph_asset(
        name="platform_metrics",
        group_name=GROUP,
        kinds=KINDS,
        owners=OWNERS,
        partitions_def=six_hourly,
        ins={
            "tracked_artists": AssetIn(key=AssetKey(tracked_artists.key.path), dagster_type=Nothing)
        },
        description=PLATFORM_METRICS_DESCRIPTION,
    )
    def platform_metrics(tracked_artists):
        pulled = {p: PULL_OPS[p](tracked_artists=tracked_artists) for p in PLATFORMS}
        return summarise_platform_pulls(**pulled)

    return platform_metrics
