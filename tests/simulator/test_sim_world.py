import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from promoteros_pipelines.simulator import (
    PLATFORM_METRICS,
    generate_world,
    metrics_at,
    ticket_sales_at,
    trending_at,
)
from promoteros_pipelines.simulator.world import followers_at


def test_same_seed_same_world_and_metrics():
    a, b = generate_world(5, 300), generate_world(5, 300)
    for name in ("artists", "platform_ids", "episodes", "venues", "tour_dates", "shows"):
        assert_frame_equal(getattr(a, name), getattr(b, name))
    assert_frame_equal(metrics_at(a, a.present), metrics_at(b, b.present))
    assert generate_world(6, 300).artists["name"].to_list() != a.artists["name"].to_list()


def test_metrics_are_a_pure_function_of_time(world):
    later = world.present + dt.timedelta(hours=5)
    first = metrics_at(world, later)
    metrics_at(world, world.present)
    world._cache.clear()
    assert_frame_equal(metrics_at(world, later), first)


def test_metrics_use_canonical_names_per_platform(world):
    frame = metrics_at(world, world.present)
    assert frame.schema == pl.Schema(
        {"artist_id": pl.Int64, "platform": pl.String, "metric": pl.String, "value": pl.Float64}
    )
    found = frame.group_by("platform").agg(pl.col("metric").unique().sort()).rows()
    assert {p: tuple(m) for p, m in found} == {
        p: tuple(sorted(m)) for p, m in PLATFORM_METRICS.items()
    }
    assert frame["value"].min() >= 0
    popularity = frame.filter(pl.col("metric") == "popularity")["value"]
    assert popularity.max() <= 100
    # Every artist present on a platform reports every metric of that platform once.
    assert frame.select(pl.struct("artist_id", "platform", "metric").is_unique().all()).item()


def test_follower_spikes_show_in_the_numbers(world):
    spikes = world.episodes.filter(pl.col("kind") == "follower_burst").to_dicts()
    assert spikes
    for episode in spikes:
        platform = episode["platforms"][0]
        column = ["spotify", "youtube", "tiktok", "instagram"].index(platform)
        before = followers_at(world, episode["start"] - dt.timedelta(hours=1))
        after = followers_at(world, episode["start"] + dt.timedelta(days=2))
        row = episode["artist_id"] - 1
        assert after[row, column] / before[row, column] > 1 + 0.5 * episode["size"]


def test_trending_puts_recent_episodes_first(world):
    episode = world.episodes.filter(pl.col("platforms").list.contains("spotify")).row(0, named=True)
    at = episode["start"] + dt.timedelta(days=3)
    ranked = trending_at(world, at, "spotify")
    assert ranked["rank"].to_list()[:3] == [1, 2, 3]
    assert episode["artist_id"] in ranked.filter("in_episode")["artist_id"].to_list()
    in_episode = ranked["in_episode"].to_list()
    assert in_episode == sorted(in_episode, reverse=True)


def test_ticket_sales_grow_and_never_exceed_capacity(world):
    show = world.shows.row(0, named=True)
    days = [show["on_sale_at"] + dt.timedelta(days=d) for d in range(0, 200, 10)]
    sold = [
        ticket_sales_at(world.shows, d)
        .filter(pl.col("show_id") == show["show_id"])["tickets_sold"]
        .item()
        for d in days
    ]
    assert sold == sorted(sold)
    assert sold[-1] <= show["capacity"]


def test_hundred_thousand_artists_generate():
    big = generate_world(seed=1, n_artists=100_000)
    assert big.artists.height == 100_000
    assert big.artists["name"].n_unique() == 100_000
    spotify = big.platform_ids.filter(pl.col("platform") == "spotify")["external_id"]
    assert spotify.str.contains(r"^[0-9A-Za-z]{22}$").all()
    assert spotify.n_unique() == spotify.len()
    youtube = big.platform_ids.filter(pl.col("platform") == "youtube")["external_id"]
    assert youtube.str.contains(r"^UC[0-9A-Za-z_-]{22}$").all()
    assert metrics_at(big, big.present).height > 800_000
