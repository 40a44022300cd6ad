"""``promoteros detect viral --since``: a past period detected in one process, as a backfill."""

import datetime as dt
from pathlib import Path

import polars as pl
import psycopg
import pytest
from click.testing import CliRunner

from promoteros_pipelines.cli import main
from promoteros_pipelines.evaluation.observations import world_observations
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.simulator.world import generate_world

WORLD = generate_world(seed=6, n_artists=60, episode_rate=0.5)
PERIOD = ["detect", "viral", "--since", "2025-03-01", "--until", "2025-03-15"]
EPISODE_ARTIST = 43  # a follower spike x3 starting 2025-03-14 08:08 (see test_analytics)
END = dt.datetime(2025, 3, 15, 12, tzinfo=dt.UTC)


@pytest.fixture
def runner(monkeypatch, database_url, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("PROMOTEROS_DATABASE_URL", database_url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    warehouse = PostgresWarehouse(database_url=database_url)
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name) OVERRIDING SYSTEM "
        "VALUE SELECT g, 'Artist ' || g, 'artist ' || g FROM generate_series(1, %s) g",
        (WORLD.n_artists,),
    )
    start = END.replace(hour=0) - dt.timedelta(days=40)
    warehouse.append(
        "metric_observations", world_observations(WORLD, start, END, dt.timedelta(hours=6))
    )
    return CliRunner()


def _events(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT artist_id, window_start, status, confirmed_at, confirmed_by, signal_count"
            " FROM promoteros.viral_events ORDER BY artist_id, window_start"
        ).fetchall()


def test_a_past_period_is_detected_in_two_runs_and_again_changes_nothing(runner, database_url):
    result = runner.invoke(main, PERIOD)
    assert result.exit_code == 0, result.output
    assert "events (" in result.output and "rounds" in result.output

    events = _events(database_url)
    episode = [e for e in events if e[0] == EPISODE_ARTIST]
    assert episode and episode[0][2] == "confirmed" and episode[0][4] == "rules"
    # confirmed by the first 30-minute round that saw the spike, not "now"
    confirmed_at = episode[0][3]
    assert dt.datetime(2025, 3, 14, 8, tzinfo=dt.UTC) < confirmed_at <= END
    assert confirmed_at.minute in (0, 30)
    with psycopg.connect(database_url) as conn:
        signals = conn.execute(
            "SELECT min(detected_at), max(detected_at), count(*) FROM promoteros.viral_signals"
        ).fetchone()
        alerts = conn.execute("SELECT count(*) FROM promoteros.alerts").fetchone()[0]
        runs = conn.execute("SELECT count(*) FROM runs WHERE status = 'SUCCESS'").fetchone()[0]
    assert signals[0] >= dt.datetime(2025, 3, 1, tzinfo=dt.UTC) and signals[2] > 0
    assert alerts == 0  # history is not news
    assert runs == 2  # daily metrics, then signals + events: not one run per round

    again = runner.invoke(main, PERIOD)
    assert again.exit_code == 0, again.output
    assert _events(database_url) == events


def test_a_period_before_the_partitions_is_refused_with_what_to_set(runner):
    result = runner.invoke(main, ["detect", "viral", "--since", "2024-06-01"])
    assert result.exit_code == 1
    assert "PROMOTEROS_HISTORY_START=2024-06-01" in result.output


def test_schedule_rounds_round_up_to_the_next_tick():
    from promoteros_pipelines.domain.viral_replay import schedule_rounds

    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    end = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
    observed = pl.Series(
        [start, start + dt.timedelta(hours=6), start + dt.timedelta(hours=6, minutes=1)],
        dtype=pl.Datetime("us", "UTC"),
    )
    assert schedule_rounds(observed, start, end) == [
        start + dt.timedelta(hours=6),
        start + dt.timedelta(hours=6, minutes=30),
        end,
    ]


def test_a_trained_model_confirms_the_replayed_events(runner, database_url, monkeypatch, tmp_path):
    from promoteros_pipelines.defs.analytics.model_store import save_model
    from promoteros_pipelines.domain.analytics.model.train import train_viral_model
    from tests.defs.analytics.test_model_store import START as MODEL_START
    from tests.defs.analytics.test_model_store import rows

    home = tmp_path / "home"
    monkeypatch.setenv("PROMOTEROS_HOME", str(home))
    model = train_viral_model(rows(), split_at=MODEL_START + dt.timedelta(days=45))
    version, _, _ = save_model(PostgresWarehouse(database_url=database_url), model, home / "models")
    result = runner.invoke(main, PERIOD)
    assert result.exit_code == 0, result.output
    assert f"confirmed by model {version}" in result.output
    with psycopg.connect(database_url) as conn:
        scored = conn.execute(
            "SELECT count(*), count(max_probability), count(*) FILTER (WHERE"
            " status = 'confirmed' AND confirmed_by = 'model' AND model_version = %s)"
            " FROM promoteros.viral_events",
            (version,),
        ).fetchone()
    assert scored[0] > 0 and scored[1] == scored[0]  # every replayed event was scored
