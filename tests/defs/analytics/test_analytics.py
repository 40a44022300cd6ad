"""Analytics assets against a real PostgreSQL, fed with a small simulated world."""

import datetime as dt

import polars as pl
import pytest
from dagster import materialize

from promoteros_pipelines.defs import checks
from promoteros_pipelines.defs.analytics.assets import artist_momentum, daily_artist_metrics
from promoteros_pipelines.defs.analytics.viral import viral_events, viral_signals
from promoteros_pipelines.evaluation.observations import world_observations
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.simulator.world import generate_world

WORLD = generate_world(seed=6, n_artists=60, episode_rate=0.5)
# a TikTok/Instagram/... follower spike of x3 on a newsworthy audience (from WORLD.episodes)
EPISODE = {"artist_id": 43, "kind": "follower_burst", "start": dt.datetime(2025, 3, 14, 8, 8, 12)}
AS_OF = dt.datetime(2025, 3, 15, 12, tzinfo=dt.UTC)


@pytest.fixture
def loaded(warehouse: PostgresWarehouse) -> PostgresWarehouse:
    """The world's artists and 6-hourly observations from 40 days before AS_OF to AS_OF."""
    truth = WORLD.episodes.filter(pl.col("artist_id") == EPISODE["artist_id"])
    assert EPISODE["kind"] in truth["kind"].to_list()
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name) OVERRIDING SYSTEM "
        "VALUE SELECT g, 'Artist ' || g, 'artist ' || g FROM generate_series(1, %s) g",
        (WORLD.n_artists,),
    )
    start = AS_OF.replace(hour=0) - dt.timedelta(days=40)
    warehouse.append(
        "metric_observations", world_observations(WORLD, start, AS_OF, dt.timedelta(hours=6))
    )
    return warehouse


def _count(warehouse: PostgresWarehouse, table: str, where: str = "TRUE") -> int:
    return warehouse.read_frame(f"SELECT count(*) AS n FROM promoteros.{table} WHERE {where}")["n"][
        0
    ]


def test_daily_partition_is_computed_and_replaced_idempotently(loaded):
    day = (AS_OF - dt.timedelta(days=2)).date().isoformat()
    for _ in range(2):
        result = materialize(
            [daily_artist_metrics, artist_momentum],
            partition_key=day,
            resources={"warehouse": loaded},
        )
        assert result.success
    rows = _count(loaded, "daily_artist_metrics", f"day = '{day}'")
    assert rows == _count(loaded, "daily_artist_metrics")  # only that day was written
    assert rows > WORLD.n_artists  # several platforms per artist
    assert _count(loaded, "artist_momentum", f"day = '{day}'") <= WORLD.n_artists
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(
        e.passed for e in evaluations if e.check_name != "PARTITION_ROW_COUNT"
    )
    scores = loaded.read_table("artist_momentum")["momentum_score"].drop_nulls()
    assert scores.min() >= 0 and scores.max() <= 100


def test_a_day_that_fails_a_blocking_check_writes_nothing(loaded):
    day = (AS_OF - dt.timedelta(days=2)).date()
    assert materialize(
        [daily_artist_metrics], partition_key=day.isoformat(), resources={"warehouse": loaded}
    ).success
    before = loaded.read_table("daily_artist_metrics").sort("artist_id", "platform")
    # a broken source row: the day's last follower count of artist 1 on Spotify is negative
    loaded.execute(
        "INSERT INTO promoteros.metric_observations (artist_id, platform, metric, observed_at,"
        " value) VALUES (1, 'spotify', 'followers', %s, -5)",
        (dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.UTC),),
    )
    again = materialize(
        [daily_artist_metrics],
        partition_key=day.isoformat(),
        resources={"warehouse": loaded},
        raise_on_error=False,
    )
    assert not again.success
    failed = [e for e in again.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == [checks.VALUES_IN_RANGE]
    assert failed[0].metadata["rows_failing_followers_not_negative"].value == 1
    after = loaded.read_table("daily_artist_metrics").sort("artist_id", "platform")
    assert after.equals(before)  # the table still holds the day as it was


def test_signals_and_events_detect_the_episode_and_rerun_as_no_ops(loaded, tmp_path):
    days = [(AS_OF - dt.timedelta(days=d)).date().isoformat() for d in (4, 3, 2)]
    for day in days:
        assert materialize(
            [daily_artist_metrics], partition_key=day, resources={"warehouse": loaded}
        ).success
    config = {"as_of": AS_OF.isoformat(), "model_dir": str(tmp_path)}
    run_config = {"ops": {"viral_signals": {"config": config}, "viral_events": {"config": config}}}
    day = AS_OF.date().isoformat()  # as_of given: one live round, whatever the partition
    first = materialize(
        [viral_signals, viral_events],
        resources={"warehouse": loaded},
        run_config=run_config,
        partition_key=day,
    )
    assert first.success
    signals = loaded.read_table("viral_signals")
    assert EPISODE["artist_id"] in signals["artist_id"].to_list()
    events = loaded.read_table("viral_events")
    assert EPISODE["artist_id"] in events["artist_id"].to_list()
    assert events.select("artist_id", "window_start").is_unique().all()
    alerts = loaded.read_table("alerts")
    assert alerts.height == events.height
    assert alerts["dedupe_key"].str.starts_with("viral:").all()
    # subjects in the reports' words: no detector jargon such as "robust SDs"
    assert not alerts["subject"].str.contains("robust").any(), alerts["subject"].to_list()

    again = materialize(
        [viral_signals, viral_events],
        resources={"warehouse": loaded},
        run_config=run_config,
        partition_key=day,
    )
    assert again.success
    assert loaded.read_table("viral_signals").height == signals.height
    assert loaded.read_table("viral_events").height == events.height
    assert loaded.read_table("alerts").height == alerts.height
    changed = again.asset_materializations_for_node("viral_signals")[0].metadata
    assert changed["rows_inserted_or_changed"].value == 0


def test_checks_fail_on_bad_rows():
    bad = pl.DataFrame(
        {
            "artist_id": [1, 1, None],
            "day": [dt.date(2025, 3, 1)] * 3,
            "momentum_score": [50.0, 120.0, 10.0],
            "growth_1d": [0.1, float("inf"), 0.0],
        }
    )
    key = ["artist_id", "day"]
    assert not checks.keys_not_null(bad, key).passed
    assert not checks.keys_unique(bad.drop_nulls("artist_id"), key).passed
    ranges = {"score": pl.col("momentum_score").is_between(0, 100)}
    assert not checks.values_in_range(bad, ranges).passed
    assert not checks.values_in_range(bad, {"growth": checks.finite("growth_1d")}).passed
    good = bad.slice(0, 1)
    assert checks.keys_unique(good, key).passed and checks.values_in_range(good, ranges).passed
    assert not checks.partition_row_count(10, [100, 110, 95]).passed
    assert checks.partition_row_count(100, [100, 110, 95]).passed
