"""The simulator's HTTP surface, over real HTTP on loopback: shapes, limits, faults, clock."""

from email.utils import parsedate_to_datetime

import polars as pl
import pytest

from promoteros_pipelines.simulator import PLAYLISTS, metrics_at


def ids_of(world, platform: str, n: int) -> list[str]:
    return (
        world.platform_ids.filter(pl.col("platform") == platform)["external_id"].head(n).to_list()
    )


def bearer(sim, platform: str) -> dict[str, str]:
    if platform == "spotify":
        response = sim.post(
            "/spotify/api/token", data={"grant_type": "client_credentials"}, auth=("id", "secret")
        )
    else:
        response = sim.post(
            "/tiktok/v2/oauth/token/",
            data={"grant_type": "client_credentials", "client_key": "k", "client_secret": "s"},
        )
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_spotify_artists_shape_nulls_and_limit(sim, world):
    ids = ids_of(world, "spotify", 3)
    response = sim.get(
        "/spotify/v1/artists",
        params={"ids": ",".join([*ids, "0" * 22])},
        headers=bearer(sim, "spotify"),
    )
    artists = response.json()["artists"]
    assert artists[3] is None
    first = artists[0]
    assert {"id", "name", "genres", "popularity", "followers", "type", "uri", "href"} <= set(first)
    assert first["followers"] == {"href": None, "total": first["followers"]["total"]}
    assert first["type"] == "artist" and first["uri"] == f"spotify:artist:{ids[0]}"
    # Values are the world's at the simulated time in the Date header.
    at = parsedate_to_datetime(response.headers["date"])
    expected = (
        metrics_at(world, at)
        .filter(
            (
                pl.col("artist_id")
                == world.platform_ids.filter(external_id=ids[0])["artist_id"].item()
            )
            & (pl.col("platform") == "spotify")
            & (pl.col("metric") == "followers")
        )["value"]
        .item()
    )
    assert first["followers"]["total"] == expected

    too_many = sim.get(
        "/spotify/v1/artists",
        params={"ids": ",".join(ids_of(world, "spotify", 51))},
        headers=bearer(sim, "spotify"),
    )
    assert too_many.status_code == 400
    assert sim.get("/spotify/v1/artists", params={"ids": ids[0]}).status_code == 401


def test_spotify_playlist_pagination(sim):
    headers = bearer(sim, "spotify")
    url = f"/spotify/v1/playlists/{PLAYLISTS['trending']}/tracks?offset=0&limit=30"
    items, pages, total = [], 0, None
    while url:
        body = sim.get(url, headers=headers).json()
        assert {"items", "next", "total", "limit", "offset", "previous", "href"} <= set(body)
        total = body["total"]
        items += body["items"]
        pages += 1
        url = body["next"]
    assert total == 100 and len(items) == 100 and pages == 4
    assert all(item["track"]["artists"][0]["id"] for item in items)


def test_youtube_channels_shape(sim, world):
    ids = ids_of(world, "youtube", 2)
    body = sim.get(
        "/youtube/v3/channels",
        params={"part": "statistics", "id": ",".join([*ids, "UCnope"]), "key": "k"},
    ).json()
    assert body["kind"] == "youtube#channelListResponse"
    assert [item["id"] for item in body["items"]] == ids
    stats = body["items"][0]["statistics"]
    assert set(stats) == {"viewCount", "subscriberCount", "hiddenSubscriberCount", "videoCount"}
    assert isinstance(stats["viewCount"], str) and stats["hiddenSubscriberCount"] is False
    many = ",".join(ids_of(world, "youtube", 51))
    assert (
        sim.get(
            "/youtube/v3/channels", params={"part": "statistics", "id": many, "key": "k"}
        ).status_code
        == 400
    )
    assert (
        sim.get("/youtube/v3/channels", params={"part": "statistics", "id": ids[0]}).status_code
        == 403
    )


def test_tiktok_user_info_shape_and_unknown_user(sim, world):
    headers = bearer(sim, "tiktok")
    fields = {"fields": "display_name,follower_count,likes_count,video_count"}
    body = sim.post(
        "/tiktok/v2/research/user/info/",
        params=fields,
        headers=headers,
        json={"username": ids_of(world, "tiktok", 1)[0]},
    ).json()
    assert set(body["data"]) == {"display_name", "follower_count", "likes_count", "video_count"}
    assert body["error"]["code"] == "ok"
    unknown = sim.post(
        "/tiktok/v2/research/user/info/",
        params=fields,
        headers=headers,
        json={"username": "nobody"},
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_params"


def test_instagram_business_discovery_shape(sim, world):
    name = ids_of(world, "instagram", 1)[0]
    fields = f"business_discovery.username({name}){{followers_count,media_count}}"
    response = sim.get("/instagram/v21.0/1784", params={"fields": fields, "access_token": "t"})
    body = response.json()
    assert body["id"] == "1784"
    assert set(body["business_discovery"]) == {"followers_count", "media_count", "id"}
    missing = fields.replace(name, "no.such.user")
    unknown = sim.get("/instagram/v21.0/1784", params={"fields": missing, "access_token": "t"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == 110


def test_bandsintown_events_shape(sim, world):
    artist_id = world.tour_dates["artist_id"][0]
    name = world.artists.filter(artist_id=artist_id)["name"].item()
    events = sim.get(
        f"/bandsintown/artists/{name}/events", params={"app_id": "a", "date": "all"}
    ).json()
    assert len(events) == world.tour_dates.filter(artist_id=artist_id).height
    assert {"id", "datetime", "venue", "lineup", "offers"} <= set(events[0])
    assert {"name", "city", "country", "latitude", "longitude"} <= set(events[0]["venue"])
    assert events[0]["lineup"] == [name]
    assert [e["datetime"] for e in events] == sorted(e["datetime"] for e in events)
    upcoming = sim.get(
        f"/bandsintown/artists/{name}/events", params={"app_id": "a", "date": "upcoming"}
    ).json()
    past = sim.get(
        f"/bandsintown/artists/{name}/events", params={"app_id": "a", "date": "past"}
    ).json()
    assert len(upcoming) + len(past) == len(events)
    artist = sim.get(f"/bandsintown/artists/{name}", params={"app_id": "a"}).json()
    assert artist["upcoming_event_count"] == len(upcoming)
    home = world.artists.join(world.tour_dates, on="artist_id", how="anti")["name"][0]
    assert (
        sim.get(f"/bandsintown/artists/{home}/events", params={"app_id": "a", "date": "all"}).json()
        == []
    )
    assert (
        sim.get("/bandsintown/artists/Nobody At All/events", params={"app_id": "a"}).status_code
        == 404
    )


@pytest.mark.parametrize(("mode", "status"), [("down", 503), ("rate_limit", 429), ("flaky", 500)])
def test_faults_apply_then_clear(sim, world, mode, status):
    sim.post(
        "/_control/faults", json={"platform": "youtube", "mode": mode, "count": 1, "retry_after": 2}
    )
    params = {"part": "statistics", "id": ids_of(world, "youtube", 1)[0], "key": "k"}
    failed = sim.get("/youtube/v3/channels", params=params)
    assert failed.status_code == status
    if mode == "rate_limit":
        assert failed.headers["retry-after"] == "2"
    assert sim.get("/youtube/v3/channels", params=params).status_code == 200


def test_expired_tokens_answer_401(sim, world):
    headers = bearer(sim, "spotify")
    params = {"ids": ids_of(world, "spotify", 1)[0]}
    assert sim.get("/spotify/v1/artists", params=params, headers=headers).status_code == 200
    sim.post("/_control/faults", json={"platform": "spotify", "mode": "expire_tokens"})
    assert sim.get("/spotify/v1/artists", params=params, headers=headers).status_code == 401
    assert (
        sim.get("/spotify/v1/artists", params=params, headers=bearer(sim, "spotify")).status_code
        == 200
    )


def test_clock_moves_the_world(sim, world):
    params = {"part": "statistics", "id": ids_of(world, "youtube", 1)[0], "key": "k"}
    before = sim.get("/youtube/v3/channels", params=params)
    sim.post("/_control/clock", json={"advance_seconds": 30 * 86_400})
    after = sim.get("/youtube/v3/channels", params=params)
    gap = parsedate_to_datetime(after.headers["date"]) - parsedate_to_datetime(
        before.headers["date"]
    )
    assert gap.days == 30
    assert before.json()["items"][0]["statistics"] != after.json()["items"][0]["statistics"]
