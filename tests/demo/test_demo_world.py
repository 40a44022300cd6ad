"""The demo's seeded roster: history every 6 hours up to the anchored present, tracked-since
dates in world time spread over the past year."""

import datetime as dt
import itertools

from promoteros_pipelines import demo_world
from promoteros_pipelines.demo_world import seed_roster, window_ends
from promoteros_pipelines.runtime.simulated_world import WorldAnchor
from promoteros_pipelines.simulator.world import generate_world

# any date the test chooses: the world lives wherever its anchor puts it
ANCHOR = WorldAnchor.at(dt.datetime(2027, 3, 9, 14, 41, tzinfo=dt.UTC), seed=3, artists=300)


def _world():
    return generate_world(seed=3, n_artists=300, present=ANCHOR.present)


def test_history_is_every_six_hours_from_its_start_to_the_anchored_present(warehouse, monkeypatch):
    monkeypatch.setattr(demo_world, "TRENDING_LEFT_FOR_DISCOVERY", 20)  # a small world
    first_day = ANCHOR.present.date() - dt.timedelta(days=3)
    seeded = seed_roster(warehouse, _world(), first_day, ANCHOR.present)
    stamps = warehouse.read_frame(
        "SELECT DISTINCT observed_at FROM promoteros.metric_observations ORDER BY 1"
    )["observed_at"].to_list()
    assert stamps == seeded.window_ends == window_ends(first_day, ANCHOR.present)
    assert stamps[0] == dt.datetime.combine(first_day, dt.time(6), dt.UTC)
    assert stamps[-1] == ANCHOR.present == dt.datetime(2027, 3, 9, 12, tzinfo=dt.UTC)
    assert {b - a for a, b in itertools.pairwise(stamps)} == {dt.timedelta(hours=6)}


def test_roster_is_tracked_since_dates_in_the_year_before_the_world_present(warehouse, monkeypatch):
    monkeypatch.setattr(demo_world, "TRENDING_LEFT_FOR_DISCOVERY", 20)
    world = _world()
    seeded = seed_roster(warehouse, world, ANCHOR.present.date(), ANCHOR.present)
    first_seen = warehouse.read_frame("SELECT first_seen_at FROM promoteros.artists")[
        "first_seen_at"
    ]
    assert len(first_seen) == seeded.artists > 200
    assert first_seen.max() <= world.present
    assert first_seen.min() >= world.present - dt.timedelta(days=366)
    weeks = first_seen.dt.truncate("1w").n_unique()
    assert weeks > 40  # a scatter over the year, not one burst on the day the demo ran


def test_seeding_twice_keeps_the_roster_and_changes_no_observation(warehouse, monkeypatch):
    monkeypatch.setattr(demo_world, "TRENDING_LEFT_FOR_DISCOVERY", 20)
    world = _world()
    first_day = ANCHOR.present.date() - dt.timedelta(days=1)
    first = seed_roster(warehouse, world, first_day, ANCHOR.present)
    again = seed_roster(warehouse, world, first_day, ANCHOR.present)
    assert first.artists > 0 and first.observations > 0
    assert (again.artists, again.observations) == (0, 0)
