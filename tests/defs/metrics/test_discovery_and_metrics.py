"""Discovery and metric pulls end to end: simulator on loopback -> assets -> PostgreSQL."""

import datetime as dt

import polars as pl
import pytest
from dagster import AssetKey, materialize

from promoteros_pipelines.defs.discovery import assets as discovery
from promoteros_pipelines.defs.discovery.store import spotify_ids_without_genres
from promoteros_pipelines.defs.metrics import assets as metrics
from promoteros_pipelines.defs.metrics.observations import metric_observations
from promoteros_pipelines.defs.metrics.per_platform import per_platform_steps
from promoteros_pipelines.defs.partitions import six_hourly
from promoteros_pipelines.domain.genres import canonical_list
from promoteros_pipelines.simulator import metrics_at, trending_at

ASSETS = [
    discovery.trending_candidates,
    discovery.tracked_artists,
    metrics.platform_metrics,
    metric_observations,
    metrics.artist_metrics_latest,
    metrics.influxdb_mirror,
]
# platform_metrics has two shapes: one step (in process, the default) and, in the Celery
# profile, one op per platform on its own queue; both must store and report the same.
SHAPES = {
    "one_step": metrics.platform_metrics,
    "per_platform": per_platform_steps(discovery.tracked_artists),
}
both_shapes = pytest.mark.parametrize("shape", list(SHAPES))


def _window_key(world) -> tuple[str, dt.datetime]:
    """The 6-hour window that ends at or just before the simulator's present."""
    end = world.present.replace(hour=world.present.hour // 6 * 6, minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(hours=6)
    return six_hourly.get_partition_key_for_timestamp(start.timestamp()), end


def _discover(resources, config=None):
    result = materialize(
        [discovery.trending_candidates, discovery.tracked_artists],
        resources=resources,
        run_config=config or {},
    )
    assert result.success
    return result


def _pull(resources, key, sim_control, end, selection=None, shape="one_step"):
    sim_control.post("/_control/clock", json={"now": end.isoformat()})
    assets = [SHAPES[shape] if a is metrics.platform_metrics else a for a in ASSETS]
    return materialize(
        assets,
        selection=selection
        or ["platform_metrics", "metric_observations", "artist_metrics_latest", "influxdb_mirror"],
        partition_key=key,
        resources=resources,
        raise_on_error=False,
    )


def _track_world_artists(warehouse, world, artist_ids: list[int]) -> None:
    chosen = world.artists.filter(pl.col("artist_id").is_in(artist_ids))
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name)"
        " OVERRIDING SYSTEM VALUE SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[])",
        (
            chosen["artist_id"].to_list(),
            chosen["name"].to_list(),
            chosen["name"].str.to_lowercase().to_list(),
        ),
    )
    warehouse.execute(
        "SELECT setval(pg_get_serial_sequence('promoteros.artists', 'artist_id'),"
        " (SELECT max(artist_id) FROM promoteros.artists))"
    )
    ids = world.platform_ids.filter(pl.col("artist_id").is_in(artist_ids)).select(
        "artist_id", "platform", "external_id"
    )
    warehouse.append("artist_platform_ids", ids)


def test_discovery_tracks_trending_artists_and_not_tracked_ones(resources, small_world):
    warehouse = resources["warehouse"]
    trending = trending_at(small_world, small_world.present).join(
        small_world.artists.select("artist_id", "name"), on="artist_id"
    )
    already = trending["artist_id"].head(3).to_list()
    _track_world_artists(warehouse, small_world, already)

    _discover(resources)

    artists = warehouse.read_table("artists")
    discovered = artists.filter(pl.col("source") == "discovery")
    assert discovered.height > 0
    assert artists["normalized_name"].n_unique() == artists.height  # nobody twice
    world_names = set(trending["name"].to_list())
    assert set(discovered["name"].to_list()) <= world_names | set(
        small_world.artists["name"].to_list()
    )
    # the pre-tracked trending artists were not added again under another row
    assert artists.filter(pl.col("artist_id").is_in(already)).height == 3
    # genres come from Spotify, in the vocabulary venues use ("hip hop" -> "hip-hop")
    world_genres = dict(small_world.artists.select("name", "genres").iter_rows())
    on_spotify = warehouse.read_table("artist_platform_ids").filter(pl.col("platform") == "spotify")
    with_ids = discovered.filter(pl.col("artist_id").is_in(on_spotify["artist_id"].to_list()))
    got = with_ids.filter(pl.col("genres").list.len() > 0)
    assert got.height > with_ids.height / 2  # the rest are not on Spotify's API yet
    for name, genres in got.select("name", "genres").iter_rows():
        assert genres == canonical_list(world_genres[name]), name
    candidates = warehouse.read_table("trending_candidates")
    assert candidates.filter(pl.col("artist_id").is_null()).is_empty()
    assert all(reason.startswith("Trending on") for reason in candidates["reason"])

    _discover(resources)  # a second run moves on to candidates not tracked yet
    after = warehouse.read_table("artists")
    assert after["normalized_name"].n_unique() == after.height
    second = warehouse.read_table("trending_candidates").filter(
        pl.col("discovered_at") == pl.col("discovered_at").max()
    )
    assert set(second["normalized_name"]).isdisjoint(set(candidates["normalized_name"]))


def _platform_metrics_materialization(result):
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == AssetKey("platform_metrics")
    ]
    return event.materialization


@both_shapes
def test_a_full_pull_stores_exactly_the_simulator_values(
    resources, small_world, sim_control, shape
):
    warehouse = resources["warehouse"]
    _track_world_artists(warehouse, small_world, list(range(1, 41)))
    key, end = _window_key(small_world)

    result = _pull(resources, key, sim_control, end, shape=shape)
    assert result.success

    stored = warehouse.read_table("metric_observations")
    expected = metrics_at(small_world, end).filter(pl.col("artist_id") <= 40)
    assert stored["observed_at"].unique().to_list() == [end]
    joined = expected.join(stored, on=["artist_id", "platform", "metric"], how="full")
    assert joined.height == expected.height == stored.height
    assert (joined["value"] == joined["value_right"]).all()
    latest = warehouse.read_table("artist_metrics_latest")
    assert latest.height == stored.height

    again = _pull(resources, key, sim_control, end, shape=shape)  # a re-run changes nothing
    assert again.success
    mat = _platform_metrics_materialization(again)
    assert mat.metadata["rows_written"].value == 0
    assert warehouse.read_table("metric_observations").height == stored.height


@both_shapes
def test_a_platform_that_is_down_fails_its_part_only(resources, small_world, sim_control, shape):
    warehouse = resources["warehouse"]
    _track_world_artists(warehouse, small_world, list(range(1, 21)))
    key, end = _window_key(small_world)
    sim_control.post(
        "/_control/faults", json={"platform": "tiktok", "mode": "down", "count": 10_000}
    )

    result = _pull(resources, key, sim_control, end, selection=["platform_metrics"], shape=shape)
    assert result.success
    platforms = set(warehouse.read_table("metric_observations")["platform"].unique())
    assert "tiktok" not in platforms
    assert {"spotify", "youtube", "instagram"} <= platforms
    summary = _platform_metrics_materialization(result).metadata
    rows = {r.data["platform"]: r.data for r in summary["per_platform"].records}
    # every TikTok artist failed, and the reason says the platform looks down
    tiktok = rows["tiktok"]
    assert tiktok["observations"] == "0" and tiktok["failed_artists"] == tiktok["artists"] != "0"
    assert tiktok["error"].startswith("tiktok: circuit open"), tiktok


@both_shapes
def test_when_every_platform_is_down_the_run_fails_loudly(
    resources, small_world, sim_control, shape
):
    _track_world_artists(resources["warehouse"], small_world, list(range(1, 6)))
    key, end = _window_key(small_world)
    for platform in ("spotify", "youtube", "tiktok", "instagram"):
        sim_control.post(
            "/_control/faults", json={"platform": platform, "mode": "down", "count": 10_000}
        )
    result = _pull(resources, key, sim_control, end, selection=["platform_metrics"], shape=shape)
    assert not result.success
    assert resources["warehouse"].read_table("metric_observations").is_empty()


def test_a_watch_request_tracks_the_artist_and_files_waiting_observations(resources):
    warehouse = resources["warehouse"]
    warehouse.execute(
        "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
        " VALUES ('n8n', 'artist.watch', 'msg_1', '{}') RETURNING event_id"
    )
    observed = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    warehouse.append(
        "pending_observations",
        pl.DataFrame(
            {
                "platform": ["tiktok", "tiktok"],
                "external_id": ["zoe.marlowe", "somebody.else"],
                "metric": ["followers", "followers"],
                "observed_at": [observed, observed],
                "value": [1234.0, 99.0],
            }
        ),
    )
    config = {
        "ops": {
            "tracked_artists": {
                "config": {
                    "watch_requests": [
                        {
                            "event_id": 1,
                            "artist_name": "Zoë Marlowe",
                            "platform_ids": {"tiktok": "zoe.marlowe", "spotify": "abc123"},
                            "genres": ["Hip Hop", "rap", "UK Drill"],
                        }
                    ]
                }
            }
        }
    }
    result = materialize([discovery.tracked_artists], resources=resources, run_config=config)
    assert result.success
    artist = warehouse.read_table("artists").row(0, named=True)
    assert (artist["name"], artist["normalized_name"], artist["source"]) == (
        "Zoë Marlowe",
        "zoe marlowe",
        "watch",
    )
    assert artist["genres"] == ["hip-hop", "uk drill"]  # the request's, in the vocabulary
    assert warehouse.read_table("metric_observations")["value"].to_list() == [1234.0]
    assert warehouse.read_table("pending_observations")["external_id"].to_list() == [
        "somebody.else"
    ]

    result = materialize([discovery.tracked_artists], resources=resources, run_config=config)
    assert result.success  # watching again matches the same artist
    assert warehouse.read_table("artists").height == 1


@pytest.mark.parametrize(
    ("request_config", "message"),
    [
        ({"platform_ids": {"myspace": "x"}}, "unknown platform"),
        ({"artist_name": " ", "platform_ids": {}}, "names neither"),
    ],
)
def test_a_bad_watch_request_fails_with_a_clear_error(resources, request_config, message):
    config = {"ops": {"tracked_artists": {"config": {"watch_requests": [request_config]}}}}
    result = materialize(
        [discovery.tracked_artists], resources=resources, run_config=config, raise_on_error=False
    )
    assert not result.success
    failure = result.failure_data_for_node("tracked_artists")
    assert failure is not None and message in str(failure.error)
    assert resources["warehouse"].read_table("artists").is_empty()


def test_no_new_artists_means_no_genre_lookup_and_no_error(resources):
    """A discovery round that tracks nobody new (a second demo, a quiet day) asks for nothing."""
    assert spotify_ids_without_genres(resources["warehouse"], []) == {}
