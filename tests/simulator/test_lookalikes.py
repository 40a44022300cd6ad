"""Look-alikes and engagement surges: each kind is in the world with its truth and its shape."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from promoteros_pipelines.evaluation.observations import world_observations
from promoteros_pipelines.simulator import (
    LOOKALIKE_KINDS,
    PLATFORMS,
    generate_world,
    metrics_at,
    observed_metrics_at,
)
from promoteros_pipelines.simulator.lookalikes import RENAMED

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def decoys_of(world, kind: str) -> list[dict]:
    rows = world.decoys.filter(pl.col("kind") == kind).to_dicts()
    assert rows, f"no {kind} in the world"
    return rows


def value(world, decoy: dict, at: dt.datetime, metric: str | None = None) -> float | None:
    """What the platform reports for the decoy's metric at ``at`` (None: no row)."""
    frame = metrics_at(world, at, scraped=True).filter(
        pl.col("artist_id") == decoy["artist_id"],
        pl.col("platform") == decoy["platform"],
        pl.col("metric") == (metric or decoy["metric"] or "followers"),
    )
    return frame["value"].item() if frame.height else None


def observed(world, decoy: dict, at: dt.datetime) -> pl.DataFrame:
    return observed_metrics_at(world, at).filter(
        pl.col("artist_id") == decoy["artist_id"], pl.col("platform") == decoy["platform"]
    )


def test_every_kind_is_there_with_its_truth(world):
    assert world.decoys.schema["artist_id"] == pl.Int64
    assert world.decoys.schema["kind"] == pl.Utf8
    assert set(world.decoys["kind"]) == set(LOOKALIKE_KINDS)
    # one look-alike per artist, and never an artist with a real episode
    assert world.decoys["artist_id"].is_unique().all()
    assert set(world.decoys["artist_id"]).isdisjoint(set(world.episodes["artist_id"]))
    assert (world.decoys["end"] >= world.decoys["start"]).all()
    # the demo's and tests' present is clean
    near = world.decoys.filter(
        pl.col("end") > world.present - 2 * DAY, pl.col("start") < world.present + DAY
    )
    assert near.is_empty()
    assert world.outages.columns == ["platform", "start", "end"]


def test_same_seed_same_lookalikes_other_seed_others():
    a, b = generate_world(5, 300), generate_world(5, 300)
    assert_frame_equal(a.decoys, b.decoys)
    assert_frame_equal(a.outages, b.outages)
    assert not generate_world(6, 300).decoys.equals(a.decoys)
    none = generate_world(5, 300, decoy_rate=0)
    assert none.decoys.is_empty() and none.outages.is_empty()
    # look-alikes come from their own generator: the rest of the world does not move
    plain = generate_world(5, 300, decoy_rate=0.05)
    assert_frame_equal(plain.episodes, a.episodes)
    assert_frame_equal(plain.tour_dates, a.tour_dates)


def test_a_glitch_departs_and_returns_within_one_sample(world):
    for decoy in decoys_of(world, "glitch"):
        at = decoy["start"]
        before, during = value(world, decoy, at - 6 * HOUR), value(world, decoy, at)
        after = value(world, decoy, at + 6 * HOUR)
        assert during <= 0.025 * before
        assert after == pytest.approx(before, rel=0.05)
        assert decoy["end"] - decoy["start"] <= HOUR


def test_a_reset_reads_zero_then_the_value_again(world):
    for decoy in decoys_of(world, "reset"):
        samples = int(decoy["size"])
        assert samples in (1, 2)
        before = value(world, decoy, decoy["start"] - 6 * HOUR)
        zeros = [value(world, decoy, decoy["start"] + i * 6 * HOUR) for i in range(samples)]
        after = value(world, decoy, decoy["start"] + samples * 6 * HOUR)
        assert before > 0 and zeros == [0.0] * samples
        assert after == pytest.approx(before, rel=0.05)


def test_a_restarted_counter_counts_up_from_zero_for_good(world):
    for decoy in decoys_of(world, "counter_restart"):
        assert decoy["metric"] == "likes"
        before = value(world, decoy, decoy["start"] - 6 * HOUR)
        later = [value(world, decoy, decoy["start"] + d * DAY) for d in (0, 3, 10)]
        assert later[0] == 0.0
        assert later == sorted(later) and later[-1] > 0
        assert later[-1] < 0.5 * before


@pytest.mark.parametrize(
    ("kind", "low", "high"), [("sub_threshold_step", 1.1, 1.5), ("one_day_step", 1.2, 1.45)]
)
def test_a_step_rises_below_the_spike_threshold_and_stays_up(world, kind, low, high):
    for decoy in decoys_of(world, kind):
        before = value(world, decoy, decoy["start"])
        top = value(world, decoy, decoy["end"])
        assert low < top / before < high
        assert value(world, decoy, decoy["end"] + 14 * DAY) > 0.95 * top


def test_a_bot_burst_reverts_within_two_days(world):
    for decoy in decoys_of(world, "bot_burst"):
        before = value(world, decoy, decoy["start"])
        peak = value(world, decoy, decoy["start"] + 6 * HOUR)
        after = value(world, decoy, decoy["end"] + HOUR)
        assert peak / before > 1.5
        assert after == pytest.approx(before, rel=0.05)
        assert decoy["end"] - decoy["start"] <= dt.timedelta(hours=54)
        likes = [value(world, decoy, decoy["start"] + h * HOUR, "likes") for h in (0, 6)]
        assert likes[1] == pytest.approx(likes[0], rel=0.02)  # bought followers do not like


def test_steady_fast_growth_grows_every_day_below_the_spike(world):
    for decoy in decoys_of(world, "steady_fast_growth"):
        days = [decoy["start"] + d * DAY for d in range(0, 14)]
        values = np.array([value(world, decoy, at) for at in days])
        daily = values[1:] / values[:-1] - 1
        assert (daily > 0.02).all() and (daily < 0.16).all()
        assert values[-1] / values[0] > 1.5


def likes_a_day_per_follower(world, decoy: dict, at: dt.datetime) -> float:
    gained = value(world, decoy, at, "likes") - value(world, decoy, at - DAY, "likes")
    return gained / value(world, decoy, at, "followers")


def usual_rate(world, decoy: dict, start: dt.datetime, days: range) -> float:
    """The median of likes a day per follower over ``days`` after ``start``."""
    at = [start + d * DAY for d in days]
    return float(np.median([likes_a_day_per_follower(world, decoy, t) for t in at]))


def test_steady_fast_growth_keeps_its_engagement_rate(world):
    # new followers like new posts from the day they arrive; they do not bring a lifetime of
    # likes with them, so growing fast and steadily is not an engagement surge
    for decoy in decoys_of(world, "steady_fast_growth"):
        usual = usual_rate(world, decoy, decoy["start"], range(-7, 0))
        assert usual_rate(world, decoy, decoy["start"], range(1, 8)) < 2 * usual


def test_tiny_accounts_grow_fast_but_stay_below_the_audience_floor(world):
    for decoy in decoys_of(world, "tiny_fast_growth"):
        span = (decoy["end"] - decoy["start"]) // DAY
        days = [decoy["start"] + d * DAY for d in range(-2, span + 3)]
        values = np.array([value(world, decoy, at) for at in days])
        assert values.max() < 1_000
        assert (values[1:] / values[:-1]).max() > 1.3


def test_missing_days_leave_no_observation(world):
    for decoy in decoys_of(world, "missing_days"):
        inside = decoy["start"] + dt.timedelta(hours=6 * (4 * decoy["size"] - 1))
        assert observed(world, decoy, decoy["start"] - 6 * HOUR).height > 0
        assert observed(world, decoy, decoy["start"]).is_empty()
        assert observed(world, decoy, inside).is_empty()
        assert observed(world, decoy, decoy["end"]).height > 0
        # the platform still reports it: the gap is in what the collector received
        assert value(world, decoy, decoy["start"]) is not None


def test_a_renamed_metric_arrives_under_its_raw_name_then_comes_back(world):
    for decoy in decoys_of(world, "metric_rename"):
        raw = RENAMED[(decoy["platform"], decoy["metric"])]
        during = observed(world, decoy, decoy["start"] + 6 * HOUR)["metric"].to_list()
        assert raw in during and decoy["metric"] not in during
        after = observed(world, decoy, decoy["end"] + HOUR)["metric"].to_list()
        assert decoy["metric"] in after and raw not in after


def test_an_outage_hides_the_whole_platform(world):
    outage = world.outages.row(0, named=True)
    during = observed_metrics_at(world, outage["start"] + (outage["end"] - outage["start"]) / 2)
    assert during.filter(pl.col("platform") == outage["platform"]).is_empty()
    assert set(during["platform"]) == set(PLATFORMS) - {outage["platform"]}
    witnesses = decoys_of(world, "platform_outage")
    assert {(w["platform"], w["start"]) for w in witnesses} <= set(
        world.outages.select("platform", "start").rows()
    )


def test_an_all_time_likes_counter_never_falls(world):
    # likes are all-time totals: a weekly rhythm in the audience, or followers leaving after a
    # burst, must not take likes back (a counter falling 3 days a week made false surges)
    faulty = world.decoys.filter(
        pl.col("kind").is_in(["glitch", "reset", "counter_restart", "metric_rename"])
    ).select("artist_id", "platform")
    start = world.present - 90 * DAY
    frames = [
        metrics_at(world, start + k * 6 * HOUR, scraped=True)
        .filter(pl.col("metric") == "likes")
        .with_columns(k=pl.lit(k))
        for k in range(0, 90 * 4)
    ]
    likes = (
        pl.concat(frames)
        .join(faulty, on=["artist_id", "platform"], how="anti")
        .sort("artist_id", "platform", "k")
        .with_columns(step=pl.col("value").diff().over("artist_id", "platform"))
    )
    assert likes["artist_id"].n_unique() > 300
    assert likes.filter(pl.col("step") < 0).height == 0


def test_engagement_surges_on_every_platform_raise_likes_for_good():
    world = generate_world(seed=7, n_artists=2_000)
    surges = world.episodes.filter(pl.col("kind") == "engagement_surge").explode("platforms")
    assert set(surges["platforms"]) == set(PLATFORMS)
    assert set(world.episodes["kind"]) == {"follower_burst", "engagement_surge", "cross_platform"}
    for surge in surges.head(12).to_dicts():
        decoy = {"artist_id": surge["artist_id"], "platform": surge["platforms"]}
        before = value(world, decoy, surge["start"], "likes")
        day_after = value(world, decoy, surge["start"] + DAY, "likes")
        week_after = value(world, decoy, surge["start"] + 7 * DAY, "likes")
        assert day_after > before * (1 + 0.5 * surge["size"])
        assert week_after >= day_after  # an all-time counter keeps what it got

        # the likes are added once: two weeks on, a day earns about what it did the week before
        after = usual_rate(world, decoy, surge["start"], range(14, 21))
        assert after <= 1.5 * usual_rate(world, decoy, surge["start"], range(-7, 0)) + 1e-3


def test_world_observations_show_gaps_renames_and_likes_everywhere(world):
    decoy = decoys_of(world, "metric_rename")[0]
    start = decoy["start"] - DAY
    obs = world_observations(world, start, decoy["start"] + 2 * DAY, dt.timedelta(hours=6))
    likes = obs.filter(pl.col("metric") == "likes")["platform"].unique()
    assert set(likes) == set(PLATFORMS)
    assert RENAMED[(decoy["platform"], decoy["metric"])] in set(obs["metric"])
    full = metrics_at(world, start, scraped=True).filter(pl.col("metric") == "followers")
    assert obs.filter(pl.col("observed_at") == start, pl.col("metric") == "followers").height <= (
        full.height
    )
