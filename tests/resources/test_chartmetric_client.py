"""The Chartmetric client against the simulator on loopback: listeners by city as the world
has them, an unknown artist fails alone, a refused refresh token stops the pull."""

import datetime as dt

import polars as pl

from promoteros_pipelines.resources.platforms.chartmetric import CREDENTIAL_ENV, ChartmetricClient
from promoteros_pipelines.resources.platforms.errors import PlatformAuthError
from promoteros_pipelines.simulator import SimulatorServer, create_app
from promoteros_pipelines.simulator.accounts import artist_lookup
from promoteros_pipelines.simulator.audience import city_listeners_at


def test_city_listeners_match_the_world_and_unknown_ids_fail_alone(
    platform_server, platform_world, control, fast
):
    spotify = artist_lookup(platform_world, "spotify").head(3)
    client = ChartmetricClient(platform_server.url("chartmetric"), "token", policy=fast)
    frame, result = client.fetch_city_listeners([*spotify["external_id"], "0" * 22])
    client.close()
    assert result.failed_ids == ["0" * 22]
    assert result.failures[0].error.kind == "permanent"
    day = dt.datetime.combine(platform_world.present.date(), dt.time(), dt.UTC)
    want = (
        city_listeners_at(platform_world, day)
        .join(spotify.select("artist_id", spotify_id="external_id"), on="artist_id")
        .select("spotify_id", "city", "listeners")
        .sort("spotify_id", "city")
    )
    assert frame.select("spotify_id", "city", "listeners").sort("spotify_id", "city").equals(want)
    assert frame["observed_at"].unique().to_list() == [day.strftime("%Y-%m-%dT%H:%M:%S.000Z")]
    assert frame.filter(pl.col("latitude").is_null()).is_empty()


def test_a_refused_refresh_token_stops_the_pull_and_names_the_variable(platform_world, fast):
    app = create_app(platform_world, credentials={"chartmetric": ("the-right-one",)})
    with SimulatorServer(app) as server:
        client = ChartmetricClient(server.url("chartmetric"), "a-wrong-one", policy=fast)
        ids = artist_lookup(platform_world, "spotify")["external_id"].head(2).to_list()
        frame, result = client.fetch_city_listeners(ids)
        client.close()
    assert frame.is_empty()
    assert isinstance(result.fatal, PlatformAuthError)
    assert CREDENTIAL_ENV in str(result.fatal)
