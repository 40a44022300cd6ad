"""Booking assets end to end: the simulator on loopback -> tour_dates, artist_city_audience,
booking_scores in PostgreSQL."""

import json

import polars as pl
from dagster import materialize

from promoteros_pipelines.defs.booking import assets as booking_assets
from promoteros_pipelines.resources.platforms.resources import ChartmetricResource
from promoteros_pipelines.simulator.audience import city_listeners_at
from tests.defs.booking.simulated_artists import track_simulated
from tests.defs.conftest import FAST

ASSETS = [
    booking_assets.tour_dates,
    booking_assets.artist_city_audience,
    booking_assets.booking_scores,
]


def _venue_in_home_city(warehouse, world, artist_ids: list[int]) -> int:
    """A 400-seat room of the artist's genre in the home city of the tracked artist with the
    largest home audience; returns that artist's id."""
    homes = (
        city_listeners_at(world, world.present)
        .join(world.artists.select("artist_id", "home_city", "genres"), on="artist_id")
        .filter(pl.col("artist_id").is_in(artist_ids), pl.col("city") == pl.col("home_city"))
        .sort("listeners", descending=True)
    )
    place = homes.head(1)
    artist = place.row(0, named=True)
    warehouse.execute(
        "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
        " VALUES ('test-org', 'Test Org', 'Europe/London', 'GBP')"
    )
    warehouse.execute(
        "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country, latitude,"
        " longitude, capacity, genres, typical_ticket_price)"
        " SELECT organisation_id, 'home-room', 'Home Room', %s, %s, %s, %s, 400, %s, 20"
        " FROM promoteros.organisations WHERE slug = 'test-org'",
        (
            artist["home_city"],
            place["country"].item(),
            place["latitude"].item(),
            place["longitude"].item(),
            artist["genres"],
        ),
    )
    return artist["artist_id"]


def test_tour_dates_audience_and_scores_from_the_simulator(resources, small_world, sim_control):
    warehouse = resources["warehouse"]
    touring = small_world.tour_dates["artist_id"].value_counts().sort("count", descending=True)
    artist_ids = touring["artist_id"].head(5).to_list()
    track_simulated(warehouse, small_world, artist_ids)
    home_artist = _venue_in_home_city(warehouse, small_world, artist_ids)
    all_resources = resources | {"chartmetric": ChartmetricResource.from_env(**FAST)}

    result = materialize(ASSETS, resources=all_resources)
    assert result.success

    dates = warehouse.read_table("tour_dates")
    expected = small_world.tour_dates.filter(pl.col("artist_id").is_in(artist_ids))
    assert set(dates["event_id"].to_list()) <= set(expected["event_id"].cast(pl.String))
    assert dates.height > 0 and dates["latitude"].is_not_null().all()

    audience = warehouse.read_table("artist_city_audience")
    day = audience["observed_at"].max()
    truth = city_listeners_at(small_world, day).filter(pl.col("artist_id").is_in(artist_ids))
    got = dict(
        audience.select(pl.concat_str("artist_id", "city", separator="/"), "listeners").iter_rows()
    )
    want = dict(
        truth.select(pl.concat_str("artist_id", "city", separator="/"), "listeners").iter_rows()
    )
    assert got == want

    scores = warehouse.read_frame(
        "SELECT artist_id, venue_id, score::float8 AS score, components::text AS components,"
        " explanation, model_version FROM promoteros.booking_scores"
    )
    assert home_artist in scores["artist_id"].to_list()  # home city, same genre: kept
    row = scores.filter(pl.col("artist_id") == home_artist).row(0, named=True)
    assert 0 <= row["score"] <= 100 and row["model_version"] == "booking-v1"
    components = json.loads(row["components"])
    assert {"market", "capacity_fit", "routing", "gap_market"} <= set(components)
    assert "listeners in the" in row["explanation"]

    again = materialize(ASSETS[:2], resources=all_resources)  # a re-run writes nothing twice
    assert again.success
    assert warehouse.read_table("tour_dates").height == dates.height
    assert warehouse.read_table("artist_city_audience").height == audience.height

    stored = scores.height
    strict = materialize(
        [booking_assets.booking_scores],
        resources=all_resources,
        run_config={"ops": {"booking_scores": {"config": {"min_score_stored": 100.1}}}},
    )
    assert strict.success  # scored again, but nothing reaches 100.1: nothing stored
    assert warehouse.read_table("booking_scores").height == stored
