"""PostgreSQL killed (the server, not a client) under an ingress load and during an ingestion
run. What must hold: every acknowledged webhook-id has exactly one row with the payload sent;
the ingress answers 503 (never another 5xx) while the server is down and recovers when it is
back; a failed ingestion run's retry stores exactly the source's observations, once."""

import base64
import threading
import time
import uuid

import psycopg
import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    EnvVar,
    ReexecutionOptions,
    build_reconstructable_job,
    define_asset_job,
    execute_job,
    in_process_executor,
    instance_for_test,
)
from fault_tools import KillablePostgres, Outcome, Sender, in_threads, rows_by_webhook_id

from promoteros_pipelines.defs.metrics.scraper import scraper_metrics
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

pytestmark = pytest.mark.chaos

SECRET = "whsec_" + base64.b64encode(b"chaos-scraper-secret-32-bytes!!!").decode()
EVENTS = 600
SENDERS = 6
DOWN_SECONDS = 3.0
SAFETY_SECONDS = 45.0  # the whole load, outage included; a net, not an assertion of speed


def _payload(n: int) -> dict:
    return {
        "observations": [
            {
                "platform": "spotify",
                "external_id": f"sp-{n}",
                "metric": "followers",
                "value": n,
                "observed_at": "2026-11-21T10:00:00Z",
            }
        ]
    }


def test_ingress_load_with_postgres_killed_loses_and_duplicates_nothing(
    killable_postgres: KillablePostgres, chaos_database_url: str
) -> None:
    settings = IngressSettings(database_url=chaos_database_url).with_secrets({"scraper": SECRET})
    outcomes = [Outcome(f"chaos-{uuid.uuid4().hex}", _payload(n)) for n in range(EVENTS)]
    with LoopbackServer(create_app(settings)) as server:
        sender = Sender(
            server.base_url,
            "/webhooks/scraper/scraper.metrics",
            SECRET,
            deadline=time.monotonic() + SAFETY_SECONDS,
        )
        threads = in_threads(
            SENDERS, lambda n: sender.send_all(outcomes[n::SENDERS], per_second=25)
        )
        # kill once a third is acknowledged, in the middle of the load
        while sum(o.event_id is not None for o in outcomes) < EVENTS // 3:
            time.sleep(0.05)
        killable_postgres.kill()
        time.sleep(DOWN_SECONDS)
        killable_postgres.start()
        for thread in threads:
            thread.join(timeout=SAFETY_SECONDS)

    answers = [status for o in outcomes for status in o.answers]
    unacknowledged = [o.webhook_id for o in outcomes if o.event_id is None]
    assert unacknowledged == [], f"{len(unacknowledged)} never acknowledged"
    assert 503 in answers, "the outage was not seen: the test proved nothing"
    assert {s for s in answers if s >= 500} == {503}, "only 503 while the database is down"
    details = {d for o in outcomes for d in o.unavailable_details}
    assert all("same webhook-id" in d for d in details)

    stored = rows_by_webhook_id(chaos_database_url, "scraper")
    assert set(stored) == {o.webhook_id for o in outcomes}, "a row without an ack, or the reverse"
    for outcome in outcomes:
        (row,) = stored[outcome.webhook_id]  # exactly one row per acknowledged webhook-id
        assert row[0] == outcome.event_id
        assert row[1] == outcome.payload
    retried_after_503 = sum(1 for o in outcomes if 503 in o.answers)
    print(f"{retried_after_503} events saw a 503 and were resent; {killable_postgres.kills} kill")


# --- an ingestion run killed mid-way, then retried by Dagster's re-execution


def ingest_job():
    """The scraper ingestion, as the code location runs it (reconstructable for re-execution)."""
    return Definitions(
        assets=[scraper_metrics],
        jobs=[
            define_asset_job(
                "ingest_scraper_metrics",
                selection=[scraper_metrics.key],
                executor_def=in_process_executor,
            )
        ],
        resources={"warehouse": PostgresWarehouse(database_url=EnvVar("PROMOTEROS_DATABASE_URL"))},
    ).resolve_job_def("ingest_scraper_metrics")


def _seed(database_url: str, events: int, per_event: int) -> tuple[list[int], set[tuple]]:
    """Tracked artists and ``events`` stored scraper webhooks; returns the event ids and
    the (artist, platform, metric, moment, value) the source holds."""
    source: set[tuple] = set()
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO promoteros.artists (artist_id, name, normalized_name, source)"
            " OVERRIDING SYSTEM VALUE SELECT n, 'Artist ' || n, 'artist ' || n, 'seed'"
            " FROM generate_series(1, %s) n",
            (per_event,),
        )
        conn.execute(
            "INSERT INTO promoteros.artist_platform_ids (artist_id, platform, external_id)"
            " SELECT n, 'spotify', 'sp-' || n FROM generate_series(1, %s) n",
            (per_event,),
        )
        rows = conn.execute(
            "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
            " SELECT 'scraper', 'scraper.metrics', 'ingest-' || e, jsonb_build_object("
            "   'observations', (SELECT jsonb_agg(jsonb_build_object("
            "     'platform', 'spotify', 'external_id', 'sp-' || a, 'metric', 'followers',"
            "     'value', e * 100000 + a, 'observed_at',"
            "     to_char(timestamptz '2026-11-01 00:00Z' + e * interval '1 hour',"
            '             \'YYYY-MM-DD"T"HH24:MI:SS"Z"\')))'
            "     FROM generate_series(1, %s) a))"
            " FROM generate_series(1, %s) e RETURNING event_id",
            (per_event, events),
        ).fetchall()
    for e in range(1, events + 1):
        for a in range(1, per_event + 1):
            source.add((a, "spotify", "followers", e, float(e * 100_000 + a)))
    return sorted(r[0] for r in rows), source


def _observations(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT artist_id, platform, metric,"
            " extract(epoch FROM observed_at - timestamptz '2026-11-01 00:00Z')::int / 3600,"
            " value FROM promoteros.metric_observations"
        ).fetchall()


def _kill_when_ingesting(server: KillablePostgres, monitor_url: str, done: threading.Event):
    """Kill the server once a backend is busy reading or upserting the batch."""
    with psycopg.connect(monitor_url, autocommit=True) as conn:
        while not done.is_set():
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                " AND (query LIKE '%%jsonb_to_recordset%%' OR query LIKE '%%stage_scraper%%')"
                " AND pid <> pg_backend_pid()"
            ).fetchone()
            if busy and busy[0]:
                server.kill()
                return
            time.sleep(0.002)


def test_ingestion_run_with_postgres_killed_fails_and_its_retry_stores_each_observation_once(
    killable_postgres: KillablePostgres, chaos_database_url: str, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", chaos_database_url)
    event_ids, source = _seed(chaos_database_url, events=60, per_event=2_000)
    config = {"ops": {"scraper_metrics": {"config": {"event_ids": event_ids}}}}
    job = build_reconstructable_job(__name__, "ingest_job")
    kills_before = killable_postgres.kills
    with instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert isinstance(instance, DagsterInstance)
        done = threading.Event()
        killer = threading.Thread(
            target=_kill_when_ingesting,
            args=(killable_postgres, killable_postgres.url(), done),
            daemon=True,
        )
        killer.start()
        with execute_job(job, instance, run_config=config, raise_on_error=False) as first:
            done.set()
            killer.join(timeout=30)
            assert killable_postgres.kills == kills_before + 1, "no kill during the run"
            assert not first.success, "the run did not notice its database dying"
            failed_run_id = first.run_id
        killable_postgres.start()
        options = ReexecutionOptions.from_failure(failed_run_id, instance)
        with execute_job(job, instance, reexecution_options=options) as retry:
            assert retry.success
            assert retry.dagster_run.parent_run_id == failed_run_id

    stored = _observations(chaos_database_url)
    assert len(stored) == len(source), "an observation lost or stored twice"
    assert set(stored) == source
