"""The demo's ticket sales, from both sources the product takes them from.

The simulator's ticketing system knows the world's shows (capacity, price, on-sale date, a
sales curve). The demo first tells it which of the promoter's venues its rooms are (the
mapping a real integration keeps in its configuration), then:

* it POSTs signed ``ticketing.sales`` webhooks to the ingress, running on loopback for the
  demo: the last ``WEBHOOK_DAYS`` daily counts of every show on sale, a few days per webhook,
  each webhook sent twice under a new id, in shuffled order and three hours late, as an
  unreliable sender would; the ``ticketing_sales_events`` sensor batches them into
  ``ingest_ticket_sales`` runs, which store each (show, moment) once and file milestones;
* the ``pull_ticketing_api`` job reads the same shows from its Eventbrite-shaped API, adding
  each show's count as of now.

The world's organisations are not the promoter's reference organisations: each is paired
with the promoter organisation of the same slug, else time zone, else currency; a world
organisation left without a partner sells nothing through this ticketing system.

No Dagster import here beyond what runs the sensor: the demo's steps (``demo.py``) call these.
"""

import base64
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from dagster import DagsterInstance, Definitions, build_sensor_context

from promoteros_pipelines.defs.inbox.store import mark_run_failed, mark_run_succeeded
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.ticketing_api import TicketingApi
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.simulator import World

SOURCE = "ticketing"
SENSOR = "ticketing_sales_events"
WEBHOOK_DAYS = 15  # this week and the two before it, for the weekly report's comparison
DAYS_PER_WEBHOOK = 5
LATE_HOURS = 3
API_TOKEN = "demo-ticketing-token"

PROMOTER_ORGANISATIONS = "SELECT slug, time_zone, currency FROM promoteros.organisations"
PROMOTER_VENUES = """
SELECT o.slug AS organisation, v.slug, v.name, v.capacity
FROM promoteros.venues v JOIN promoteros.organisations o USING (organisation_id)
ORDER BY o.slug, v.slug
"""


def ticketing_api(simulator_url: str, organisations: list[int]) -> TicketingApi:
    """The simulator's ticketing API, read for these (the world's) organisations."""
    return TicketingApi(
        base_url=f"{simulator_url}/ticketing",
        token=API_TOKEN,
        organisations=",".join(str(o) for o in organisations),
    )


def pair_organisations(
    promoters: list[dict[str, Any]], world: list[dict[str, Any]]
) -> dict[str, str]:
    """World organisation slug -> the promoter organisation whose shows it sells: the same
    slug first, then the same time zone, then the same currency; each used once."""
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for key in ("slug", "time_zone", "currency"):
        for theirs in world:
            if theirs["slug"] in pairs:
                continue
            match = next(
                (p for p in promoters if p["slug"] not in taken and p[key] == theirs[key]), None
            )
            if match:
                pairs[theirs["slug"]] = match["slug"]
                taken.add(match["slug"])
    return pairs


def map_venues(warehouse: PostgresWarehouse, simulator_url: str, world: World) -> int:
    """Tell the simulator's ticketing system which of the promoter's venues its rooms are
    (``pair_organisations``); returns how many of its rooms were mapped."""
    promoters = warehouse.read_frame(PROMOTER_ORGANISATIONS).to_dicts()
    pairs = pair_organisations(promoters, world.organisations.to_dicts())
    by_promoter = {promoter: theirs for theirs, promoter in pairs.items()}
    venues = [
        {**venue, "organisation": by_promoter[venue["organisation"]]}
        for venue in warehouse.read_frame(PROMOTER_VENUES).to_dicts()
        if venue["organisation"] in by_promoter
    ]
    response = httpx.post(
        f"{simulator_url}/_control/ticketing/venues", json={"venues": venues}, timeout=30
    )
    response.raise_for_status()
    return int(response.json()["mapped"])


@dataclass(frozen=True)
class Posted:
    """What the simulator sent: signed posts, and how many the ingress accepted."""

    posts: int
    accepted: int


def send_webhooks(simulator_url: str, database_url: str) -> Posted:
    """Run the ingress on loopback and have the simulator post its sales webhooks to it."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    settings = IngressSettings(database_url=database_url).with_secrets({SOURCE: secret})
    # this ingress only takes the demo's webhooks: its warnings that report downloads and
    # approval links are off (no link secret) would only interrupt the demo's output
    ingress_log = logging.getLogger("promoteros_pipelines.ingress")
    level = ingress_log.level
    ingress_log.setLevel(logging.ERROR)
    try:
        app = create_app(settings)
    finally:
        ingress_log.setLevel(level)
    with LoopbackServer(app) as ingress:
        response = httpx.post(
            f"{simulator_url}/_control/ticketing/webhooks",
            json={
                "url": f"{ingress.base_url}/webhooks/{SOURCE}/ticketing.sales",
                "secret": secret,
                "shows": 100_000,
                "points": WEBHOOK_DAYS,
                "per_webhook": DAYS_PER_WEBHOOK,
                "late_hours": LATE_HOURS,
                "duplicate": True,
                "shuffle": True,
            },
            timeout=600,
        )
    response.raise_for_status()
    statuses = response.json()["statuses"]
    return Posted(len(statuses), sum(1 for s in statuses if s == 202))


@dataclass
class Ingested:
    runs: int = 0
    events: int = 0
    failed_run: str | None = None


def ingest_events(
    instance: DagsterInstance,
    definitions: Definitions,
    warehouse: PostgresWarehouse,
    run_config: dict[str, Any],
    tags: dict[str, str],
) -> Ingested:
    """Tick the ``ticketing_sales_events`` sensor as the daemon would, run each run it asks
    for in ``definitions``, and file each run's outcome back on its events (the run status
    sensors' job)."""
    from promoteros_pipelines.definitions import defs as location

    sensor = location.get_repository_def().get_sensor_def(SENSOR)
    job = definitions.resolve_job_def("ingest_ticket_sales")
    outcome, cursor = Ingested(), None
    while True:
        context = build_sensor_context(
            instance=instance,
            cursor=cursor,
            resources={"warehouse": warehouse},
            definitions=location,
            sensor_name=SENSOR,
        )
        data = sensor.evaluate_tick(context)
        cursor = data.cursor
        if not data.run_requests:
            return outcome
        for request in data.run_requests:
            ids = request.run_config["ops"]["ticket_sales"]["config"]["event_ids"]
            result = job.execute_in_process(
                run_config={**run_config, **request.run_config},
                instance=instance,
                tags={**tags, **request.tags},
                raise_on_error=False,
            )
            outcome.runs += 1
            if not result.success:
                mark_run_failed(warehouse, ids, result.run_id, "the demo's run failed", dead=False)
                outcome.failed_run = result.run_id
                return outcome
            mark_run_succeeded(warehouse, ids, result.run_id)
            outcome.events += len(ids)
