"""The booking refresh asks the APIs for the longest unrefreshed artists first, within what
their rate limits allow in one run, so a large catalogue is covered over several runs."""

import datetime as dt

import polars as pl
from dagster import materialize

from promoteros_pipelines.defs.booking import assets as booking_assets
from promoteros_pipelines.defs.booking.refresh import artists_per_run
from promoteros_pipelines.resources.platforms.resources import ChartmetricResource
from tests.defs.booking.simulated_artists import track_simulated
from tests.defs.conftest import FAST

REFRESHERS = [booking_assets.tour_dates, booking_assets.artist_city_audience]


def test_a_run_asks_for_what_the_rate_limit_allows_in_ninety_minutes():
    assert artists_per_run(5.0, 1) == 27_000  # Bandsintown: one request an artist
    assert artists_per_run(2.0, 2) == 5_400  # Chartmetric: two
    assert artists_per_run(0.0001, 2) == 1  # never nothing
    assert artists_per_run(2.0, 2, dt.timedelta(minutes=1)) == 60


def _refreshed(warehouse, source: str) -> dict[int, dt.datetime]:
    frame = warehouse.read_frame(
        "SELECT artist_id, refreshed_at FROM promoteros.booking_refreshes WHERE source = $1",
        [source],
    )
    return dict(frame.iter_rows())


def _refresh(resources, budget: int):
    config = {"config": {"max_artists_per_run": budget}}
    result = materialize(
        REFRESHERS,
        resources=resources,
        run_config={"ops": {"tour_dates": config, "artist_city_audience": config}},
    )
    assert result.success
    return {
        event.asset_key.path[-1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }


def test_runs_take_the_longest_unrefreshed_artists_first(resources, small_world, sim_control):
    warehouse = resources["warehouse"]
    artist_ids = small_world.artists["artist_id"].head(5).to_list()
    track_simulated(warehouse, small_world, artist_ids)
    resources = resources | {"chartmetric": ChartmetricResource.from_env(**FAST)}

    first = _refresh(resources, budget=2)
    assert set(_refreshed(warehouse, "bandsintown")) == set(artist_ids[:2])
    assert set(_refreshed(warehouse, "chartmetric")) == set(artist_ids[:2])
    for name in ("tour_dates", "artist_city_audience"):
        assert first[name]["artists_asked"].value == 2
        assert first[name]["artists_waiting_for_next_runs"].value == 3

    _refresh(resources, budget=2)
    after_two = _refreshed(warehouse, "chartmetric")
    assert set(after_two) == set(artist_ids[:4])

    _refresh(resources, budget=2)  # the last one, then the one refreshed longest ago
    after_three = _refreshed(warehouse, "chartmetric")
    assert set(after_three) == set(artist_ids)
    oldest = min(artist_ids[:2], key=lambda a: (after_two[a], a))
    assert after_three[oldest] > after_two[oldest]
    assert all(after_three[a] == after_two[a] for a in artist_ids[:4] if a != oldest)

    audience = warehouse.read_table("artist_city_audience")
    assert set(audience["artist_id"].unique().to_list()) == set(artist_ids)
    assert audience.filter(pl.col("listeners") < 0).is_empty()


def test_an_artist_that_failed_is_not_marked_refreshed_and_comes_first_again(
    resources, small_world, sim_control
):
    warehouse = resources["warehouse"]
    artist_ids = small_world.artists["artist_id"].head(2).to_list()
    track_simulated(warehouse, small_world, artist_ids)
    unknown = 10_000_000  # Bandsintown does not know this name: its request fails
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name) OVERRIDING SYSTEM"
        " VALUE VALUES (%s, 'No Such Band 404', 'no such band 404')",
        (unknown,),
    )
    resources = resources | {"chartmetric": ChartmetricResource.from_env(**FAST)}

    _refresh(resources, budget=3)
    first = _refreshed(warehouse, "bandsintown")
    assert set(first) == set(artist_ids)

    second = _refresh(resources, budget=1)  # the failed one is the longest unrefreshed
    assert second["tour_dates"]["artists_asked"].value == 1
    assert _refreshed(warehouse, "bandsintown") == first  # it was asked, not the others
