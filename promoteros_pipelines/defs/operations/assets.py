"""``system_health`` (every 5 minutes) and ``pipeline_kpis`` (hourly): the project watching
itself, with one system alert per incident and a "recovered" note when it clears."""

import datetime as dt
import os

from dagster import (
    AssetExecutionContext,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from psycopg.types.json import Jsonb

from promoteros_pipelines.defs.metadata import FILES_INTO
from promoteros_pipelines.defs.operations import health, kpis
from promoteros_pipelines.defs.operations.incidents import State, reconcile
from promoteros_pipelines.defs.operations.store import open_incidents
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.platforms.resources import (
    BandsintownResource,
    InstagramResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import promoteros_home

GROUP = "operations"
OWNERS = ["team:ops"]
INGRESS_URL_ENV = "PROMOTEROS_INGRESS_URL"


def _platform_url(resource: object) -> str | None:
    try:
        return resource.url()  # type: ignore[attr-defined]
    except Exception:  # not configured: left out of the score, not down
        return None


def probe_all(
    context: AssetExecutionContext,
    warehouse: PostgresWarehouse,
    mailer: Mailer,
    influxdb: InfluxMirror,
    platforms: dict[str, object],
) -> dict[str, health.Probe]:
    now = dt.datetime.now(dt.UTC)
    probes = {
        "database": health.database(warehouse.database_url),
        "disk": health.disk(promoteros_home()),
        "dagster_daemon": health.daemon(context.instance.get_daemon_heartbeats(), now),
        "ingress": health.http(os.environ.get(INGRESS_URL_ENV), "/healthz"),
        "smtp": health.smtp(mailer.smtp_url),
        "influxdb": health.http(influxdb.url, "/health"),
        "dead_letters": health.dead_letters(warehouse.database_url),
    }
    for platform, resource in platforms.items():
        probes[f"api_{platform}"] = health.http(_platform_url(resource))
    probes.update(health.breakers(warehouse.database_url, now))
    return probes


@asset(
    group_name=GROUP,
    kinds={"postgres"},
    owners=OWNERS,
    metadata={FILES_INTO: "alerts"},
)
def system_health(
    context: AssetExecutionContext,
    warehouse: PostgresWarehouse,
    mailer: Mailer,
    influxdb: InfluxMirror,
    spotify: SpotifyResource,
    youtube: YouTubeResource,
    tiktok: TikTokResource,
    instagram: InstagramResource,
    bandsintown: BandsintownResource,
) -> MaterializeResult:
    """How healthy the platform is right now, 0-100, with its components: PostgreSQL (latency,
    connections, longest transaction), disk under PROMOTEROS_HOME, the Dagster daemon's
    heartbeats, the ingress (/healthz), SMTP, InfluxDB, each platform API and its circuit
    breaker (open = down, as the platform clients last recorded it) and the dead-letter
    depth. A component going down files one system alert (critical for the database, else a
    warning); its recovery files an info "recovered" note. One row per probe round in
    `system_health` (keyed by checked_at)."""
    now = dt.datetime.now(dt.UTC)
    platforms: dict[str, object] = {
        "spotify": spotify,
        "youtube": youtube,
        "tiktok": tiktok,
        "instagram": instagram,
        "bandsintown": bandsintown,
    }
    probes = probe_all(context, warehouse, mailer, influxdb, platforms)
    score, status = health.summarise(probes)
    components = {name: {"up": p.up, **p.facts} for name, p in probes.items()}
    warehouse.execute(
        "INSERT INTO promoteros.system_health (checked_at, score, status, components)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (checked_at) DO NOTHING",
        (now, score, status, Jsonb(components)),
    )
    states = [
        State(
            f"health:{name}",
            probe.up is False,
            "critical" if name == "database" else "warning",
            f"System health: {name} is down",
            {"component": name, **probe.facts},
        )
        for name, probe in probes.items()
        if probe.up is not None
    ]
    outcome = reconcile(warehouse, states, now, recovered_note=True)
    down = sorted(name for name, p in probes.items() if p.up is False)
    return MaterializeResult(
        metadata={
            "score": MetadataValue.int(score),
            "status": MetadataValue.text(status),
            "down": MetadataValue.text(", ".join(down) or "none"),
            "not_configured": MetadataValue.text(
                ", ".join(sorted(n for n, p in probes.items() if p.up is None)) or "none"
            ),
            "incidents_opened": MetadataValue.int(len(outcome.opened)),
            "incidents_recovered": MetadataValue.int(len(outcome.closed)),
            "components": MetadataValue.json(components),
        }
    )


@asset(
    group_name=GROUP, kinds={"postgres", "dagster"}, owners=OWNERS, metadata={FILES_INTO: "alerts"}
)
def pipeline_kpis(
    context: AssetExecutionContext, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """How the pipelines performed over the last 24 hours, from Dagster's run records: per job
    the runs, success rate (target at least 99 %), p50/p95 duration and failures by error
    class, plus sensor tick failures. A job below target opens one system alert (warning)
    until it is back on target. One row per (computed_at, job_name) in `pipeline_kpis`; the
    weekly ops report reads its pipeline section from there."""
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    rows = [k.row() for k in kpis.job_kpis(context.instance, now)]
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO promoteros.pipeline_kpis (computed_at, job_name, runs, succeeded, failed,"
            " success_rate, p50_seconds, p95_seconds, failures_by_error)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (computed_at, job_name)"
            " DO UPDATE SET runs = EXCLUDED.runs, succeeded = EXCLUDED.succeeded,"
            " failed = EXCLUDED.failed, success_rate = EXCLUDED.success_rate,"
            " p50_seconds = EXCLUDED.p50_seconds, p95_seconds = EXCLUDED.p95_seconds,"
            " failures_by_error = EXCLUDED.failures_by_error",
            [(now, *list(r.values())[:-1], Jsonb(r["failures_by_error"])) for r in rows],
        )
    below = kpis.below_target([kpis.JobKpis(**_kpi_args(r)) for r in rows])
    states = [
        State(
            f"kpi:{r['job_name']}",
            r["job_name"] in below,
            "warning",
            f"Pipeline below target: {r['job_name']} succeeded in "
            f"{(r['success_rate'] or 0) * 100:.1f} % of its runs in 24 h (target 99 %)",
            {k: v for k, v in r.items() if k != "failures_by_error"}
            | {"failures_by_error": r["failures_by_error"]},
        )
        for r in rows
    ]
    ran = {r["job_name"] for r in rows}
    states += [  # a job that no longer runs cannot stay below target
        State(i["incident_key"], False)
        for i in open_incidents(warehouse, "kpi:")
        if i["incident_key"].removeprefix("kpi:") not in ran
    ]
    outcome = reconcile(warehouse, states, now, recovered_note=True)
    ticks = kpis.sensor_tick_failures(context.instance, now)
    return MaterializeResult(
        metadata={
            "jobs": MetadataValue.int(len(rows)),
            "below_target": MetadataValue.text(", ".join(below) or "none"),
            "sensor_tick_failures": MetadataValue.json(ticks),
            "incidents_opened": MetadataValue.int(len(outcome.opened)),
            "per_job": MetadataValue.json(rows),
        }
    )


def _kpi_args(row: dict) -> dict:
    return {
        "job_name": row["job_name"],
        "runs": row["runs"],
        "succeeded": row["succeeded"],
        "failed": row["failed"],
    }


system_health_job = define_asset_job(
    "system_health_job", selection=["system_health"], description="Probe every dependency."
)
pipeline_kpis_job = define_asset_job(
    "pipeline_kpis_job", selection=["pipeline_kpis"], description="Pipeline KPIs of 24 h."
)
system_health_every_5_minutes = ScheduleDefinition(
    name="system_health_every_5_minutes",
    job=system_health_job,
    cron_schedule="*/5 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every 5 minutes: probe the database, daemon, ingress, SMTP, InfluxDB, APIs.",
)
pipeline_kpis_hourly = ScheduleDefinition(
    name="pipeline_kpis_hourly",
    job=pipeline_kpis_job,
    cron_schedule="5 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Hourly at :05: success rates, durations and failures of the last 24 hours.",
)
