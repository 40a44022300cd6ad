"""The world's gaps and likes as the simulated APIs show them, over real HTTP on loopback."""

from email.utils import parsedate_to_datetime

import polars as pl

from promoteros_pipelines.simulator import metrics_at


def ids_of(world, platform: str, n: int) -> list[str]:
    return world.platform_ids.filter(platform=platform)["external_id"].head(n).to_list()


def bearer(sim, platform: str) -> dict[str, str]:
    if platform == "spotify":
        body = sim.post(
            "/spotify/api/token", data={"grant_type": "client_credentials"}, auth=("id", "s")
        ).json()
    else:
        form = {"grant_type": "client_credentials", "client_key": "k", "client_secret": "s"}
        body = sim.post("/tiktok/v2/oauth/token/", data=form).json()
    return {"Authorization": f"Bearer {body['access_token']}"}


def external_id(world, artist_id: int, platform: str) -> str:
    return world.platform_ids.filter(artist_id=artist_id, platform=platform)["external_id"].item()


def ask(sim, platform: str, ident: str):
    """One data request for one artist, as each platform's collector makes it."""
    if platform == "spotify":
        return sim.get("/spotify/v1/artists", params={"ids": ident}, headers=bearer(sim, platform))
    if platform == "youtube":
        params = {"part": "statistics", "id": ident, "key": "k"}
        return sim.get("/youtube/v3/channels", params=params)
    if platform == "tiktok":
        return sim.post(
            "/tiktok/v2/research/user/info/",
            params={"fields": "follower_count,likes_count"},
            headers=bearer(sim, platform),
            json={"username": ident},
        )
    fields = f"business_discovery.username({ident}){{followers_count}}"
    return sim.get("/instagram/v21.0/1784", params={"fields": fields, "access_token": "t"})


def answered_for(platform: str, response) -> bool:
    """Whether the response carries the artist (a real collector's reading of it)."""
    if response.status_code != 200:
        return False
    body = response.json()
    if platform == "spotify":
        return body["artists"][0] is not None
    if platform == "youtube":
        return bool(body["items"])
    return True


def move_clock(sim, at) -> None:
    sim.post("/_control/clock", json={"now": at.isoformat()}).raise_for_status()


def test_an_outage_answers_503_for_its_hours(sim, world):
    outage = world.outages.row(0, named=True)
    platform = outage["platform"]
    ident = ids_of(world, platform, 1)[0]
    move_clock(sim, outage["start"] + (outage["end"] - outage["start"]) / 2)
    down = ask(sim, platform, ident)
    assert down.status_code == 503
    assert "outage" in down.text
    move_clock(sim, outage["end"])
    assert ask(sim, platform, ident).status_code == 200


def test_missing_days_answer_as_for_an_unknown_artist(sim, world):
    gaps = world.decoys.filter(pl.col("kind") == "missing_days").to_dicts()
    assert gaps
    for gap in gaps:
        ident = external_id(world, gap["artist_id"], gap["platform"])
        move_clock(sim, gap["start"])
        inside = ask(sim, gap["platform"], ident)
        assert not answered_for(gap["platform"], inside)
        assert inside.status_code in (200, 400)  # null/omitted, or "does not exist"
        move_clock(sim, gap["end"])
        assert answered_for(gap["platform"], ask(sim, gap["platform"], ident))


def test_spotify_saves_and_youtube_video_likes_are_the_worlds_likes(sim, world):
    ident = ids_of(world, "spotify", 1)[0]
    response = ask(sim, "spotify", ident)
    at = parsedate_to_datetime(response.headers["date"])
    artist_id = world.platform_ids.filter(external_id=ident)["artist_id"].item()
    likes = metrics_at(world, at, scraped=True).filter(
        artist_id=artist_id, platform="spotify", metric="likes"
    )
    assert response.json()["artists"][0]["saves"] == {"total": likes["value"].item()}
    videos = sim.get(
        "/youtube/v3/videos", params={"chart": "mostPopular", "maxResults": 5, "key": "k"}
    ).json()["items"]
    assert all(int(video["statistics"]["likeCount"]) > 0 for video in videos)
