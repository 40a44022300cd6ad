"""The demo's seeded roster: tracked since dates in world time, spread over the past year."""

import datetime as dt

from promoteros_pipelines import demo_world
from promoteros_pipelines.demo_world import seed_roster
from promoteros_pipelines.simulator.world import generate_world


def test_roster_is_tracked_since_dates_in_the_year_before_the_world_present(warehouse, monkeypatch):
    monkeypatch.setattr(demo_world, "TRENDING_LEFT_FOR_DISCOVERY", 20)  # a small world
    world = generate_world(seed=3, n_artists=300)
    seeded = seed_roster(warehouse, world)
    first_seen = warehouse.read_frame("SELECT first_seen_at FROM promoteros.artists")[
        "first_seen_at"
    ]
    assert len(first_seen) == seeded["artists"] > 200
    assert first_seen.max() <= world.present
    assert first_seen.min() >= world.present - dt.timedelta(days=366)
    weeks = first_seen.dt.truncate("1w").n_unique()
    assert weeks > 40  # a scatter over the year, not one burst on the day the demo ran


def test_seeding_twice_keeps_the_first_roster(warehouse, monkeypatch):
    monkeypatch.setattr(demo_world, "TRENDING_LEFT_FOR_DISCOVERY", 20)
    world = generate_world(seed=3, n_artists=300)
    seed_roster(warehouse, world)
    assert seed_roster(warehouse, world) == {"artists": 0, "observations": 0}
