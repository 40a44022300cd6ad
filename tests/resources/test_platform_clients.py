"""Platform clients against the simulator over real HTTP: values, batching, shapes, discovery."""

import polars as pl
import pytest
from dagster import EnvVar
from polars.testing import assert_frame_equal

from promoteros_pipelines.domain.discovery import rank_new_candidates
from promoteros_pipelines.resources.platforms import (
    OBSERVATION_SCHEMA,
    InstagramClient,
    SpotifyClient,
    SpotifyResource,
    TikTokClient,
    YouTubeClient,
    fetch_trending_candidates,
)
from promoteros_pipelines.resources.platforms.spotify import DEFAULT_PLAYLISTS
from promoteros_pipelines.settings import ConfigurationError
from promoteros_pipelines.simulator import PLAYLISTS, metrics_at


def ids_of(world, platform: str) -> list[str]:
    return world.platform_ids.filter(pl.col("platform") == platform)["external_id"].to_list()


def expected_values(world, result) -> pl.DataFrame:
    """What the world says at each observation's time, keyed like the observations."""
    (at,) = result.observations["observed_at"].unique().to_list()
    return (
        metrics_at(world, at)
        .join(
            world.platform_ids.select("artist_id", "platform", "external_id"),
            on=["artist_id", "platform"],
        )
        .filter(pl.col("platform") == result.platform)
        .select("external_id", "metric", "value")
        .sort("external_id", "metric")
    )


def count_requests(client, path: str) -> list[str]:
    seen: list[str] = []
    hooks = client.session.client.event_hooks
    hooks["request"] = [
        *hooks["request"],
        lambda r: seen.append(r.url.path) if path in r.url.path else None,
    ]
    client.session.client.event_hooks = hooks
    return seen


def test_spotify_pull_matches_the_world_in_batches_of_50(
    platform_server, platform_world, control, fast
):
    client = SpotifyClient(platform_server.url("spotify"), "id", "secret", policy=fast)
    ids = ids_of(platform_world, "spotify")
    seen = count_requests(client, "/v1/artists")
    result = client.fetch_metrics(ids)
    assert result.failures == [] and result.fatal is None
    assert len(seen) == -(-len(ids) // 50)
    assert result.observations.schema == pl.Schema(OBSERVATION_SCHEMA)
    got = result.observations.select("external_id", "metric", "value").sort("external_id", "metric")
    assert_frame_equal(got, expected_values(platform_world, result))


def test_every_platform_reports_its_canonical_metrics(
    platform_server, platform_world, control, fast
):
    clients = [
        YouTubeClient(platform_server.url("youtube"), "key", policy=fast),
        TikTokClient(platform_server.url("tiktok"), "k", "s", policy=fast, max_concurrency=4),
        InstagramClient(platform_server.url("instagram"), "token", "1784", policy=fast),
    ]
    for client in clients:
        result = client.fetch_metrics(ids_of(platform_world, client.platform))
        assert result.failures == [], client.platform
        got = result.observations.select("external_id", "metric", "value").sort(
            "external_id", "metric"
        )
        assert_frame_equal(got, expected_values(platform_world, result))


def test_permanent_errors_fail_only_their_artist(platform_server, platform_world, control, fast):
    good = ids_of(platform_world, "tiktok")[:5]
    client = TikTokClient(platform_server.url("tiktok"), "k", "s", policy=fast)
    result = client.fetch_metrics([*good, "no_such_creator"])
    assert result.failed_ids == ["no_such_creator"]
    assert result.failures[0].error.kind == "permanent"
    assert result.observations["external_id"].n_unique() == 5
    assert result.failures_frame()["kind"].to_list() == ["permanent"]

    spotify = SpotifyClient(platform_server.url("spotify"), "id", "secret", policy=fast)
    mixed = spotify.fetch_metrics([*ids_of(platform_world, "spotify")[:3], "0" * 22, "bad id"])
    assert sorted(mixed.failed_ids) == ["0" * 22, "bad id"]
    assert mixed.observations["external_id"].n_unique() == 3


def test_playlist_pagination_gives_the_same_artists_at_any_page_size(
    platform_server, control, fast
):
    client = SpotifyClient(platform_server.url("spotify"), "id", "secret", policy=fast)
    seen = count_requests(client, "/tracks")
    small = client.playlist_artists(PLAYLISTS["trending"], "spotify:trending", page_size=15)
    assert len(seen) == 7
    large = client.playlist_artists(PLAYLISTS["trending"], "spotify:trending", page_size=100)
    assert_frame_equal(small, large)
    assert small["rank"].max() == 100


def test_client_defaults_name_the_simulator_playlists():
    assert DEFAULT_PLAYLISTS == PLAYLISTS


def test_discovery_finds_trending_artists_and_not_tracked_ones(
    platform_server, platform_world, control, fast
):
    spotify = SpotifyClient(platform_server.url("spotify"), "id", "secret", policy=fast)
    youtube = YouTubeClient(platform_server.url("youtube"), "key", policy=fast)
    tiktok = TikTokClient(platform_server.url("tiktok"), "k", "s", policy=fast)
    candidates, errors = fetch_trending_candidates(
        {
            "spotify": spotify.fetch_trending,
            "youtube": youtube.fetch_trending,
            "tiktok": tiktok.fetch_trending,
        }
    )
    assert errors == {}
    assert set(candidates["source"].unique()) == {
        "spotify:viral",
        "spotify:trending",
        "youtube:most_popular",
        "tiktok:video_query",
    }
    tracked = platform_world.platform_ids.filter(pl.col("artist_id") % 2 == 0)
    tracked_names = platform_world.artists.filter(pl.col("artist_id") % 4 == 1).select("name")
    ranked = rank_new_candidates(candidates, tracked, tracked_names, top_n=25)
    assert ranked.height == 25
    names = platform_world.artists.join(ranked.select("name"), on="name", how="semi")[
        "artist_id"
    ].to_list()
    assert names and all(a % 2 == 1 and a % 4 != 1 for a in names)
    assert ranked["reason"].str.starts_with("Trending on").all()


def test_one_failing_source_does_not_stop_discovery(platform_server, control, fast):
    spotify = SpotifyClient(platform_server.url("spotify"), "id", "secret", policy=fast)
    youtube = YouTubeClient(platform_server.url("youtube"), "key", policy=fast)
    control.post("/_control/faults", json={"platform": "youtube", "mode": "down"})
    candidates, errors = fetch_trending_candidates(
        {"spotify": spotify.fetch_trending, "youtube": youtube.fetch_trending}
    )
    assert set(errors) == {"youtube"}
    assert candidates.height > 0 and set(candidates["platform"]) == {"spotify"}


def test_resource_builds_one_client_from_config(platform_server, platform_world, control):
    resource = SpotifyResource(
        base_url=platform_server.url("spotify"), client_id="id", client_secret="secret"
    )
    assert resource.get_client() is resource.get_client()
    result = resource.fetch_metrics(ids_of(platform_world, "spotify")[:10])
    assert result.observations.height == 20


def test_from_env_uses_the_simulator_only_when_its_url_is_set(monkeypatch):
    monkeypatch.delenv("PROMOTEROS_SPOTIFY_BASE_URL", raising=False)
    monkeypatch.delenv("PROMOTEROS_SPOTIFY_CLIENT_ID", raising=False)
    monkeypatch.setenv("PROMOTEROS_SIMULATOR_URL", "http://127.0.0.1:8790")
    monkeypatch.setenv("PROMOTEROS_SPOTIFY_CLIENT_SECRET", "s3cret")
    resource = SpotifyResource.from_env()
    assert resource.url() == "http://127.0.0.1:8790/spotify"
    # the URL is read when a run starts, not when the definitions were imported
    monkeypatch.setenv("PROMOTEROS_SIMULATOR_URL", "http://127.0.0.1:9999/")
    assert resource.url() == "http://127.0.0.1:9999/spotify"
    monkeypatch.setenv("PROMOTEROS_SPOTIFY_BASE_URL", "https://api.spotify.com")
    assert resource.url() == "https://api.spotify.com"
    assert isinstance(resource.client_secret, EnvVar)  # the UI shows the name, not the secret
    assert resource.client_secret.get_value() == "s3cret"
    assert resource.client_id == "simulator"


def test_without_the_simulator_a_missing_setting_names_its_variable(monkeypatch):
    for name in (
        "PROMOTEROS_SIMULATOR_URL",
        "PROMOTEROS_SPOTIFY_BASE_URL",
        "PROMOTEROS_SPOTIFY_CLIENT_ID",
        "PROMOTEROS_SPOTIFY_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    resource = SpotifyResource.from_env()
    with pytest.raises(ConfigurationError, match="PROMOTEROS_SPOTIFY_BASE_URL"):
        resource.url()
    monkeypatch.setenv("PROMOTEROS_SPOTIFY_BASE_URL", "https://api.spotify.com")
    with pytest.raises(ConfigurationError) as missing:
        resource.get_client()
    assert "PROMOTEROS_SPOTIFY_CLIENT_ID, PROMOTEROS_SPOTIFY_CLIENT_SECRET" in str(missing.value)
    assert resource.client_id != "simulator"  # no dummy credential outside demo and dev
