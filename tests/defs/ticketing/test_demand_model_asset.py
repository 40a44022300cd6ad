"""demand_model trains on the warehouse's played shows, scores them, saves a loadable file."""

import datetime as dt

import numpy as np
from dagster import materialize

from promoteros_pipelines.defs.ticketing.demand import demand_model
from promoteros_pipelines.defs.ticketing.demand_store import load_demand_model
from promoteros_pipelines.settings import HOME_ENV
from tests.defs.ticketing.ticketing_support import sql, venue_world

START = dt.datetime(2025, 1, 6, 20, tzinfo=dt.UTC)


def played_shows(warehouse, world, count: int) -> None:
    rng = np.random.default_rng(3)
    for n in range(count):
        followers = float(10 ** rng.uniform(3, 6))
        artist = sql(
            warehouse,
            "INSERT INTO promoteros.artists (name, normalized_name, genres)"
            " VALUES (%s, %s, '{indie}') RETURNING artist_id",
            (f"Artist {n}", f"artist {n}"),
        )[0]["artist_id"]
        on_sale = START + dt.timedelta(days=3 * n)
        sql(
            warehouse,
            "INSERT INTO promoteros.metric_observations (artist_id, platform, metric,"
            " observed_at, value) VALUES (%s, 'spotify', 'followers', %s, %s)",
            (artist, on_sale - dt.timedelta(days=1), followers),
        )
        final = int(min(1000, 200 + 120 * np.log10(followers) + rng.normal(0, 40)))
        sql(
            warehouse,
            "INSERT INTO promoteros.shows (show_id, organisation_id, venue_id, artist_id,"
            " show_date, capacity, on_sale_at, ticket_price, status)"
            " VALUES (%s, %s, %s, %s, %s, 1000, %s, 22, 'played')",
            (
                f"p{n}",
                world["org"],
                world["leadmill"],
                artist,
                (on_sale + dt.timedelta(days=60)).date(),
                on_sale,
            ),
        )
        sql(
            warehouse,
            "INSERT INTO promoteros.ticket_sales (show_id, observed_at, tickets_sold)"
            " VALUES (%s, %s, %s)",
            (f"p{n}", on_sale + dt.timedelta(days=59), final),
        )


def train(warehouse) -> dict:
    result = materialize([demand_model], resources={"warehouse": warehouse})
    assert result.success
    metadata = result.asset_materializations_for_node("demand_model")[0].metadata
    return {key: value.value for key, value in metadata.items()}


def test_too_few_played_shows_train_nothing(warehouse):
    played_shows(warehouse, venue_world(warehouse), 10)
    metadata = train(warehouse)
    assert metadata == {"played_shows": 10, "trained": False}


def test_a_model_is_scored_against_both_baselines_and_saved(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    played_shows(warehouse, venue_world(warehouse), 60)
    metadata = train(warehouse)
    assert metadata["trained"] is True and metadata["played_shows"] == 60
    assert {"mae", "baseline_venue_mae", "baseline_tier_mae", "r2", "brier"} <= set(metadata)
    assert metadata["mae"] < metadata["baseline_venue_mae"]  # audience explains these shows
    model = load_demand_model(warehouse, metadata["path"], tmp_path / "models")
    assert model.features[0] == "log_followers_spotify"


def test_the_sell_through_forecast_uses_the_trained_model(warehouse, tmp_path, monkeypatch):
    from promoteros_pipelines.defs.ticketing.sell_through import show_sell_through

    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    world = venue_world(warehouse)
    played_shows(warehouse, world, 40)
    version = train(warehouse)["version"]
    today = dt.datetime.now(dt.UTC)
    sql(
        warehouse,
        "INSERT INTO promoteros.shows (show_id, organisation_id, venue_id, show_date, capacity,"
        " on_sale_at, ticket_price, status) VALUES ('next', %s, %s, %s, 1000, %s, 22, 'on_sale')",
        (world["org"], world["leadmill"], (today + dt.timedelta(days=40)).date(), today),
    )
    result = materialize([show_sell_through], resources={"warehouse": warehouse})
    assert result.success
    metadata = result.asset_materializations_for_node("show_sell_through")[0].metadata
    assert metadata["demand_model"].value == version
    assert metadata["shows_with_demand_forecast"].value == 1
    row = sql(warehouse, "SELECT * FROM promoteros.show_sell_through WHERE show_id = 'next'")[0]
    assert row["sold"] == 0 and row["forecast_sell_through"] > 0  # the model's share, halved
