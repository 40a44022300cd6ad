"""The simulated world lives in the present: anchored once per home, partitions start with it."""

import datetime as dt
import json

import pytest

from promoteros_pipelines.runtime.simulated_world import (
    anchor_path,
    anchor_world,
    read_anchor,
    window_end,
)
from promoteros_pipelines.settings import (
    DEFAULT_HISTORY_START,
    HISTORY_START_ENV,
    ConfigurationError,
    history_start,
)
from promoteros_pipelines.simulator.world import generate_world, metrics_at

PINNED = dt.datetime(2027, 3, 9, 14, 41, 5, tzinfo=dt.UTC)


def test_the_world_is_anchored_at_the_last_closed_six_hour_window(tmp_path):
    anchor = anchor_world(PINNED, tmp_path, history_days=49)
    assert anchor.present == dt.datetime(2027, 3, 9, 12, tzinfo=dt.UTC)
    assert anchor.history_start == dt.date(2027, 1, 19)
    assert window_end(dt.datetime(2027, 3, 10, 0, 0, tzinfo=dt.UTC)).hour == 0


def test_an_anchored_world_stays_where_it_is(tmp_path):
    first = anchor_world(PINNED, tmp_path)
    later = anchor_world(PINNED + dt.timedelta(days=3), tmp_path)
    assert later == first == read_anchor(tmp_path)


def test_a_damaged_anchor_file_says_how_to_recover(tmp_path):
    anchor_path(tmp_path).write_text(json.dumps({"seed": 7}))
    with pytest.raises(ConfigurationError, match="promoteros demo"):
        read_anchor(tmp_path)


def test_history_start_setting_then_the_anchored_world_then_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMOTEROS_HOME", str(tmp_path))
    monkeypatch.delenv(HISTORY_START_ENV, raising=False)
    assert history_start() == DEFAULT_HISTORY_START
    anchor_world(PINNED, tmp_path, history_days=35)
    assert history_start() == dt.date(2027, 2, 2)
    monkeypatch.setenv(HISTORY_START_ENV, "2026-06-01")
    assert history_start() == dt.date(2026, 6, 1)
    monkeypatch.setenv(HISTORY_START_ENV, "last spring")
    with pytest.raises(ConfigurationError, match=HISTORY_START_ENV):
        history_start()


def test_a_world_anchored_elsewhere_in_time_is_the_same_world_shifted():
    default = generate_world(seed=4, n_artists=120)
    moved = generate_world(seed=4, n_artists=120, present=PINNED.replace(minute=0, second=0))
    shift = moved.present - default.present
    assert moved.start == default.start + shift
    for offset in (dt.timedelta(0), dt.timedelta(hours=-30), dt.timedelta(days=2)):
        assert metrics_at(moved, moved.present + offset).equals(
            metrics_at(default, default.present + offset)
        )
    assert moved.episodes["start"].to_list() == [
        start + shift for start in default.episodes["start"].to_list()
    ]
