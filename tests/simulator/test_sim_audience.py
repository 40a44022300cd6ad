"""The Chartmetric-shaped audience-by-city endpoint and the world's ticket-demand model."""

import datetime as dt

import numpy as np
import polars as pl

from promoteros_pipelines.simulator import audience, generate_world
from promoteros_pipelines.simulator.accounts import artist_lookup


def _token(sim) -> dict[str, str]:
    body = sim.post("/chartmetric/api/token", json={"refreshtoken": "r"}).json()
    return {"Authorization": f"Bearer {body['token']}"}


def test_where_people_listen_shape_and_numbers(sim, world):
    headers = _token(sim)
    spotify_id = artist_lookup(world, "spotify")["external_id"][0]
    ids = sim.get(f"/chartmetric/api/artist/spotify/{spotify_id}/get-ids", headers=headers)
    cm_artist = ids.json()["obj"][0]["cm_artist"]
    body = sim.get(
        f"/chartmetric/api/artist/{cm_artist}/where-people-listen",
        params={"latest": "true"},
        headers=headers,
    ).json()["obj"]
    expected = audience.city_listeners_at(
        world, dt.datetime.combine(world.present.date(), dt.time(), dt.UTC)
    ).filter(pl.col("artist_id") == cm_artist)
    assert {city: rows[0]["listeners"] for city, rows in body["cities"].items()} == dict(
        expected.select("city", "listeners").iter_rows()
    )
    entry = next(iter(body["cities"].values()))[0]
    assert {"code2", "listeners", "timestp", "artist_city_rank", "lat", "lng"} <= set(entry)
    assert sum(r[0]["listeners"] for r in body["countries"].values()) == expected["listeners"].sum()


def test_one_artists_city_listeners_are_that_artists_rows_of_the_whole_table(world):
    # the endpoint computes one artist's rows (a request each); they must be the table's
    for moment in (world.present, world.present - dt.timedelta(days=40)):
        whole = audience.city_listeners_at(world, moment)
        for artist_id in (1, world.n_artists // 2, world.n_artists):
            one = audience.city_listeners_at(world, moment, artist_id=artist_id)
            assert one.equals(whole.filter(pl.col("artist_id") == artist_id))


def test_where_people_listen_history_and_refusals(sim, world):
    headers = _token(sim)
    day = world.present.date()
    history = sim.get(
        "/chartmetric/api/artist/1/where-people-listen",
        params={"since": str(day - dt.timedelta(days=2)), "until": str(day)},
        headers=headers,
    ).json()["obj"]["cities"]
    assert max(len(rows) for rows in history.values()) == 3
    assert sim.get("/chartmetric/api/artist/1/where-people-listen").status_code == 401
    too_long = {"since": str(day - dt.timedelta(days=60))}
    url = "/chartmetric/api/artist/1/where-people-listen"
    assert sim.get(url, params=too_long, headers=headers).status_code == 400
    assert sim.post("/chartmetric/api/token", json={}).status_code == 401
    unknown = sim.get("/chartmetric/api/artist/spotify/nope/get-ids", headers=headers)
    assert unknown.status_code == 404


def test_home_city_holds_the_most_listeners_for_most_artists(world):
    shares = audience.city_shares(world)
    names = [c[0] for c in audience.touring.CITIES]
    home = np.array([names.index(c) for c in world.artists["home_city"].to_list()])
    assert (shares.argmax(axis=1) == home).mean() > 0.6
    assert np.allclose(shares.sum(axis=1), audience.LISTED_SHARE)


def test_sell_through_follows_the_market_audience_not_just_size(world):
    """Same artists, rooms in the home city vs far away: home sells a larger share."""
    shows = world.shows
    assert shows["final_sell_through"].is_between(0.0, 1.0).all()
    frame = shows.join(world.venues.select("venue_id", "city"), on="venue_id").join(
        world.artists.select("artist_id", "home_city"), on="artist_id"
    )
    home = frame.filter(pl.col("city") == pl.col("home_city"))["final_sell_through"].mean()
    away = frame.filter(pl.col("city") != pl.col("home_city"))["final_sell_through"].mean()
    assert home > away


def test_venues_carry_their_costs_and_bigger_rooms_cost_more():
    venues = generate_world(5, 300).venues.sort("capacity")
    assert (venues["fixed_cost"] > 0).all()
    assert venues["cost_per_head"].is_between(1.5, 4.0).all()
    assert venues["fixed_cost"].head(10).mean() < venues["fixed_cost"].tail(10).mean()
