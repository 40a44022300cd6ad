"""scraper_metrics: webhook observations into the metric history, or waiting for their artist."""

import json
import uuid

import polars as pl
from dagster import AssetKey, materialize

from promoteros_pipelines.definitions import defs
from promoteros_pipelines.defs.discovery.store import ArtistToTrack, track_artists
from promoteros_pipelines.defs.metrics.scraper import latest_per_key, scraper_metrics


def _observation(external_id: str, value: float, metric: str = "followers", **extra) -> dict:
    return {
        "platform": "spotify",
        "external_id": external_id,
        "artist_name": "Nova Lights",
        "metric": metric,
        "value": value,
        "observed_at": "2026-11-21T10:00:00Z",
        **extra,
    }


def _event(warehouse, observations: list[dict]) -> int:
    with warehouse.connect() as conn:
        return conn.execute(
            "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
            " VALUES ('scraper', 'scraper.metrics', %s, %s) RETURNING event_id",
            (uuid.uuid4().hex, json.dumps({"observations": observations})),
        ).fetchone()[0]


def _artist(warehouse, name: str, spotify_id: str) -> int:
    with warehouse.connect() as conn:
        artist_id = conn.execute(
            "INSERT INTO promoteros.artists (name, normalized_name) VALUES (%s, %s)"
            " RETURNING artist_id",
            (name, name.lower()),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO promoteros.artist_platform_ids (artist_id, platform, external_id)"
            " VALUES (%s, 'spotify', %s)",
            (artist_id, spotify_id),
        )
    return artist_id


def _ingest(warehouse, event_ids: list[int]):
    config = {"ops": {"scraper_metrics": {"config": {"event_ids": event_ids}}}}
    result = materialize([scraper_metrics], run_config=config, resources={"warehouse": warehouse})
    assert result.success
    return result.asset_materializations_for_node("scraper_metrics")[0].metadata


def _table(warehouse, table: str) -> pl.DataFrame:
    return warehouse.read_table(table).sort(pl.all())


def test_known_ids_are_stored_and_unknown_ones_wait(warehouse):
    nova = _artist(warehouse, "Nova Lights", "sp-nova")
    event = _event(
        warehouse,
        [
            _observation("sp-nova", 1200),
            _observation("sp-nova", 40, metric="popularity"),
            _observation("sp-unknown", 75, artist_name="Someone New"),
        ],
    )
    metadata = _ingest(warehouse, [event])
    stored = warehouse.read_frame(
        "SELECT artist_id, metric, value, source FROM promoteros.metric_observations"
        " ORDER BY metric"
    )
    assert stored.rows() == [
        (nova, "followers", 1200.0, "scraper"),
        (nova, "popularity", 40.0, "scraper"),
    ]
    waiting = warehouse.read_table("pending_observations")
    assert waiting.select("external_id", "value", "artist_name", "event_id").rows() == [
        ("sp-unknown", 75.0, "Someone New", event)
    ]
    assert metadata["observations_inserted_or_changed"].value == 2
    assert metadata["observations_pending_unknown_artist"].value == 1
    assert metadata["event_ids"].value == str(event)
    per_platform = {r.data["platform"]: r.data for r in metadata["rows_per_platform"].records}
    assert per_platform["spotify"]["observations"] == "3"


def test_ingesting_the_same_events_twice_changes_nothing(warehouse):
    _artist(warehouse, "Nova Lights", "sp-nova")
    events = [
        _event(warehouse, [_observation("sp-nova", 1200), _observation("sp-x", 1)]),
        _event(warehouse, [_observation("sp-nova", 1200)]),  # a redelivered scrape
    ]
    _ingest(warehouse, events)
    before = (_table(warehouse, "metric_observations"), _table(warehouse, "pending_observations"))
    again = _ingest(warehouse, events)
    assert again["observations_inserted_or_changed"].value == 0
    after = (_table(warehouse, "metric_observations"), _table(warehouse, "pending_observations"))
    assert before[0].drop("ingested_at").equals(after[0].drop("ingested_at"))
    assert before[1].equals(after[1])


def test_a_later_event_corrects_a_value_but_never_overwrites_the_api(warehouse):
    nova = _artist(warehouse, "Nova Lights", "sp-nova")
    with warehouse.connect() as conn:
        conn.execute(
            "INSERT INTO promoteros.metric_observations"
            " (artist_id, platform, metric, observed_at, value, source)"
            " VALUES (%s, 'spotify', 'popularity', '2026-11-21T10:00:00Z', 55, 'api')",
            (nova,),
        )
    first = _event(
        warehouse, [_observation("sp-nova", 1000), _observation("sp-nova", 1, metric="popularity")]
    )
    second = _event(warehouse, [_observation("sp-nova", 1100)])
    _ingest(warehouse, [second, first])  # order in config does not matter: event order does
    values = dict(
        warehouse.read_frame("SELECT metric, value FROM promoteros.metric_observations").rows()
    )
    assert values == {"followers": 1100.0, "popularity": 55.0}


def test_waiting_observations_are_filed_when_the_artist_is_tracked(warehouse):
    event = _event(warehouse, [_observation("sp-later", 900)])
    _ingest(warehouse, [event])
    outcomes, moved = track_artists(
        warehouse,
        [ArtistToTrack("Later Act", "later act", {"spotify": "sp-later"}, "watch", "test")],
    )
    assert moved == 1
    stored = warehouse.read_frame("SELECT artist_id, value FROM promoteros.metric_observations")
    assert stored.rows() == [(outcomes[0].artist_id, 900.0)]
    assert warehouse.read_table("pending_observations").is_empty()


def test_missing_or_foreign_event_ids_are_reported_not_fatal(warehouse):
    with warehouse.connect() as conn:
        watch = conn.execute(
            "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
            " VALUES ('n8n', 'artist.watch', 'w1', '{}') RETURNING event_id"
        ).fetchone()[0]
    metadata = _ingest(warehouse, [watch, 999_999])
    assert metadata["observations_received"].value == 0


def test_latest_per_key_keeps_the_latest_event():
    frame = pl.DataFrame(
        {
            "event_id": [2, 1],
            "platform": ["spotify"] * 2,
            "external_id": ["a"] * 2,
            "metric": ["followers"] * 2,
            "observed_at": ["t"] * 2,
            "value": [20.0, 10.0],
        }
    )
    assert latest_per_key(frame)["value"].to_list() == [20.0]


def test_the_ingest_job_records_the_table_and_refreshes_latest_metrics_after_the_batch():
    job = defs.get_repository_def().get_job("ingest_scraper_metrics")
    assert job.asset_layer.executable_asset_keys == {
        AssetKey("scraper_metrics"),
        AssetKey("metric_observations"),
        AssetKey("artist_metrics_latest"),
    }
    graph = defs.resolve_asset_graph()
    assert AssetKey("scraper_metrics") in graph.get(AssetKey("metric_observations")).parent_keys
    assert (
        AssetKey("metric_observations") in graph.get(AssetKey("artist_metrics_latest")).parent_keys
    )
