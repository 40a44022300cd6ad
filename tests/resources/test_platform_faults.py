"""How the clients cope when platforms misbehave, with faults injected into the simulator."""

import dataclasses

import polars as pl
import pybreaker

from promoteros_pipelines.resources.platforms import (
    InstagramClient,
    PlatformAuthError,
    PlatformUnavailableError,
    SpotifyClient,
    TikTokClient,
    YouTubeClient,
)
from promoteros_pipelines.simulator import SimulatorServer, create_app


def ids_of(world, platform: str, n: int | None = None) -> list[str]:
    ids = world.platform_ids.filter(pl.col("platform") == platform)["external_id"]
    return ids.head(n).to_list() if n else ids.to_list()


def requests_to(client, path: str) -> list[int]:
    seen: list[int] = []
    hooks = client.session.client.event_hooks
    hooks["response"] = [
        *hooks["response"],
        lambda r: seen.append(r.status_code) if path in r.url.path else None,
    ]
    client.session.client.event_hooks = hooks
    return seen


def fault(control, platform: str, mode: str, **extra) -> None:
    control.post("/_control/faults", json={"platform": platform, "mode": mode, **extra})


def test_a_429_storm_is_waited_out(platform_server, platform_world, control, fast):
    client = YouTubeClient(platform_server.url("youtube"), "key", policy=fast)
    statuses = requests_to(client, "/v3/channels")
    fault(control, "youtube", "rate_limit", count=3, retry_after=0.05)
    result = client.fetch_metrics(ids_of(platform_world, "youtube", 20))
    assert result.failures == []
    assert statuses == [429, 429, 429, 200]
    assert client.session.breaker.current_state == pybreaker.STATE_CLOSED


def test_an_expired_token_is_refreshed_once(platform_server, platform_world, control, fast):
    client = SpotifyClient(platform_server.url("spotify"), "id", "secret", policy=fast)
    ids = ids_of(platform_world, "spotify", 60)
    assert client.fetch_metrics(ids).failures == []
    assert client.session.token_fetches == 1
    fault(control, "spotify", "expire_tokens")
    statuses = requests_to(client, "/v1/artists")
    result = client.fetch_metrics(ids)
    assert result.failures == []
    assert client.session.token_fetches == 2
    assert statuses == [401, 200, 200]


def test_a_platform_that_is_down_fails_alone(platform_server, platform_world, control, fast):
    fault(control, "tiktok", "down")
    tiktok = TikTokClient(platform_server.url("tiktok"), "k", "s", policy=fast, max_concurrency=1)
    statuses = requests_to(tiktok, "/research/user/info/")
    usernames = ids_of(platform_world, "tiktok", 40)
    down = tiktok.fetch_metrics(usernames)
    assert isinstance(down.fatal, PlatformUnavailableError)
    assert sorted(down.failed_ids) == sorted(usernames)
    assert down.observations.is_empty()
    # The breaker opened after fail_max attempts, so the rest were never sent.
    assert len(statuses) == fast.breaker_fail_max
    assert tiktok.session.breaker.current_state == pybreaker.STATE_OPEN

    spotify = SpotifyClient(platform_server.url("spotify"), "id", "secret", policy=fast)
    fine = spotify.fetch_metrics(ids_of(platform_world, "spotify", 40))
    assert fine.failures == [] and fine.observations.height == 80


def test_5xx_bursts_are_retried(platform_server, platform_world, control, fast):
    fault(control, "instagram", "flaky", count=3)
    client = InstagramClient(
        platform_server.url("instagram"), "token", "1784", policy=fast, max_concurrency=1
    )
    result = client.fetch_metrics(ids_of(platform_world, "instagram", 6))
    assert result.failures == []
    assert result.observations["external_id"].n_unique() == 6


def test_slow_responses_time_out_and_are_retried(platform_server, platform_world, control, fast):
    fault(control, "youtube", "slow", count=1, delay=1.0)
    policy = dataclasses.replace(fast, timeout_seconds=0.2)
    client = YouTubeClient(platform_server.url("youtube"), "key", policy=policy)
    result = client.fetch_metrics(ids_of(platform_world, "youtube", 5))
    assert result.failures == []


def test_rejected_credentials_fail_fast_naming_the_variable(platform_world, fast):
    app = create_app(platform_world, credentials={"tiktok": ("right-key", "right-secret")})
    with SimulatorServer(app) as server:
        client = TikTokClient(server.url("tiktok"), "wrong", "creds", policy=fast)
        result = client.fetch_metrics(ids_of(platform_world, "tiktok", 10))
    assert isinstance(result.fatal, PlatformAuthError)
    assert "PROMOTEROS_TIKTOK_CLIENT_KEY" in str(result.fatal)
    assert len(result.failures) == 10
    assert client.session.token_fetches == 0


def test_an_expired_static_token_is_an_auth_error(platform_server, platform_world, control, fast):
    fault(control, "instagram", "expire_tokens")
    client = InstagramClient(platform_server.url("instagram"), "token", "1784", policy=fast)
    result = client.fetch_metrics(ids_of(platform_world, "instagram", 5))
    assert isinstance(result.fatal, PlatformAuthError)
    assert "PROMOTEROS_INSTAGRAM_ACCESS_TOKEN" in str(result.fatal)
