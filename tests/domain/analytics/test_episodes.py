"""Signals become one event per artist episode; re-runs are no-ops."""

from datetime import UTC, datetime, timedelta

import polars as pl

from promoteros_pipelines.domain.analytics import (
    SIGNAL_SCHEMA,
    empty_events,
    group_into_episodes,
)
from promoteros_pipelines.domain.analytics.episodes import EVENT_SCHEMA

T = datetime(2024, 3, 1, 12, tzinfo=UTC)


def signal(hours: float, platform="tiktok", signal_type="follower_spike", strength=1.2, **extra):
    at = T + timedelta(hours=hours)
    return {
        "artist_id": 1,
        "platform": platform,
        "signal_type": signal_type,
        "detected_at": at,
        "window_start": at - timedelta(hours=24),
        "window_end": at,
        "strength": strength,
        "explanation": f"{platform} {signal_type} at {hours}h",
        **extra,
    }


def signals(*rows: dict) -> pl.DataFrame:
    schema = dict(SIGNAL_SCHEMA)
    if any("probability" in r for r in rows):
        schema["probability"] = pl.Float64
    return pl.DataFrame(list(rows), schema=schema)


def run(sigs, existing, hours: float) -> pl.DataFrame:
    return group_into_episodes(sigs, existing, as_of=T + timedelta(hours=hours)).collect()


def as_existing(events: pl.DataFrame) -> pl.DataFrame:
    return events.select(EVENT_SCHEMA.names())


def test_first_signal_opens_a_new_unconfirmed_event():
    events = run(signals(signal(0)), empty_events(), 0.5)
    assert events.height == 1
    row = events.to_dicts()[0]
    assert (row["change"], row["status"], row["signal_count"]) == ("new", "new", 1)
    assert row["window_start"] == T - timedelta(hours=24)


def test_continuing_spike_updates_the_open_event_and_confirms_it():
    first = run(signals(signal(0)), empty_events(), 0.5)
    later = signals(signal(0), signal(30), signal(31, platform="youtube"))
    events = run(later, as_existing(first), 31.5)
    assert events.height == 1
    row = events.to_dicts()[0]
    assert row["change"] == "updated"
    assert row["window_start"] == T - timedelta(hours=24)
    assert row["signal_count"] == 3
    assert row["platforms"] == ["tiktok", "youtube"]
    assert (row["previous_status"], row["status"]) == ("new", "confirmed")
    # the next run re-reads the same 48h of signals: nothing changes
    assert run(later, as_existing(events), 32).is_empty()


def test_a_signal_after_the_gap_opens_a_new_episode_and_dismisses_the_old_one():
    first = run(signals(signal(0)), empty_events(), 0.5)
    events = run(signals(signal(80)), as_existing(first), 80.5).sort("window_start")
    assert events["change"].to_list() == ["updated", "new"]
    assert events["status"].to_list() == ["dismissed", "new"]


def test_strong_single_signal_confirms_and_model_probability_overrides_rules():
    assert run(signals(signal(0, strength=2.0)), empty_events(), 1)["status"][0] == "confirmed"
    doubted = signals(signal(0, strength=3.0, probability=0.2))
    assert run(doubted, empty_events(), 1)["status"][0] == "new"
    believed = signals(signal(0, strength=1.1, probability=0.9))
    assert run(believed, empty_events(), 1)["status"][0] == "confirmed"
