"""The model's features and labels hold on empty and one-row histories; a challenger replaces the
current detector only when it is at least as good on the held-out weeks."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from analytics_frames import signal_rows

from promoteros_pipelines.domain.analytics import (
    DAILY_FEATURES_SCHEMA,
    SIGNAL_SCHEMA,
    daily_features,
    detect_viral_signals,
)
from promoteros_pipelines.domain.analytics.model.features import FEATURES, signal_features
from promoteros_pipelines.domain.analytics.model.labels import viral_episode_labels
from promoteros_pipelines.domain.analytics.model.train import beats_champion, train_viral_model
from promoteros_pipelines.domain.analytics.schema import OBSERVATION_SCHEMA

AT = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
EMPTY_SIGNALS = pl.DataFrame(schema=SIGNAL_SCHEMA)
EMPTY_DAILY = pl.DataFrame(schema=DAILY_FEATURES_SCHEMA)


def one_signal() -> pl.DataFrame:
    return signal_rows(
        {
            "artist_id": 1,
            "platform": "tiktok",
            "signal_type": "follower_spike",
            "detected_at": AT,
            "window_start": AT - dt.timedelta(hours=24),
            "window_end": AT,
            "strength": 1.4,
            "value_before": 20_000.0,
        }
    )


def test_features_of_an_empty_history_are_an_empty_frame_with_every_column():
    rows = signal_features(EMPTY_SIGNALS, EMPTY_DAILY)
    assert rows.is_empty()
    assert set(FEATURES) <= set(rows.columns)


def test_features_of_a_one_row_history_are_one_row_with_nulls_not_errors():
    rows = signal_features(one_signal(), EMPTY_DAILY)
    assert rows.height == 1
    assert rows["history_max_strength"][0] is None
    assert rows["strength"][0] == pytest.approx(1.4)


def test_labels_of_empty_and_one_row_histories():
    assert viral_episode_labels(EMPTY_SIGNALS, EMPTY_DAILY, as_of=AT).is_empty()
    labels = viral_episode_labels(one_signal(), EMPTY_DAILY, as_of=AT + dt.timedelta(days=30))
    assert labels["label"].to_list() == [0]  # nothing happened next that we can see


def test_training_survives_a_feature_with_no_value_at_all():
    # the week-9 crash: history_max_strength empty in the training frame
    rng = np.random.default_rng(3)
    n = 500
    frame = pl.DataFrame(rng.normal(size=(n, len(FEATURES))), schema=FEATURES, orient="row")
    frame = frame.with_columns(
        history_max_strength=pl.lit(None, dtype=pl.Float64),
        rules_confirmed=frame["strength"] > 1.0,
        detected_at=pl.Series([AT + dt.timedelta(hours=3 * i) for i in range(n)]),
        label=(frame["strength"] > 0).cast(pl.Int8),
    )
    model = train_viral_model(frame, split_at=AT + dt.timedelta(hours=3 * 350))
    assert model.metrics["roc_auc"] > 0.8


def test_training_survives_a_feature_with_only_a_few_values():
    # outside history, seed 2, week 4: a feature present in two rows, all of them in one
    # calibration fold's held-out part, crashed the binning of the other folds
    rng = np.random.default_rng(5)
    n = 500
    frame = pl.DataFrame(rng.normal(size=(n, len(FEATURES))), schema=FEATURES, orient="row")
    rare = pl.Series([1.5 if i in (7, 11) else None for i in range(n)], dtype=pl.Float64)
    frame = frame.with_columns(
        context_max_cross_platform=rare,
        rules_confirmed=frame["strength"] > 1.0,
        detected_at=pl.Series([AT + dt.timedelta(hours=3 * i) for i in range(n)]),
        label=(frame["strength"] > 0).cast(pl.Int8),
    )
    for seed in range(3):  # whichever fold the two values land in
        model = train_viral_model(frame, split_at=AT + dt.timedelta(hours=3 * 350), seed=seed)
        assert model.metrics["roc_auc"] > 0.8


FIGURES = {"roc_auc": 0.9, "model_precision": 0.92, "model_recall": 0.95}


def test_a_challenger_must_match_the_rules_and_the_current_model():
    assert beats_champion({**FIGURES, "rules_precision": 0.9, "rules_recall": 0.95})[0]
    lower_recall, why = beats_champion({**FIGURES, "rules_precision": 0.5, "rules_recall": 0.97})
    assert not lower_recall and "recall 0.950 is below the rules alone" in why
    current = {"rules_precision": 0.5, "rules_recall": 0.5, "champion_precision": 0.95}
    worse, why = beats_champion({**FIGURES, **current, "champion_recall": 0.9})
    assert not worse and "the current model" in why
    chance = {**FIGURES, "roc_auc": 0.55, "rules_precision": 0.0, "rules_recall": 0.0}
    assert not beats_champion(chance)[0]


def test_daily_features_and_signals_of_empty_and_one_row_histories():
    empty = pl.DataFrame(schema=OBSERVATION_SCHEMA)
    one = pl.DataFrame(
        [(1, "tiktok", "followers", AT, 5_000.0)], schema=OBSERVATION_SCHEMA, orient="row"
    )
    assert daily_features(empty, start=AT.date()).collect().is_empty()
    daily = daily_features(one, start=AT.date()).collect()
    assert daily.height == 1 and daily["growth_1d"][0] is None
    later = AT + dt.timedelta(hours=12)
    assert detect_viral_signals(empty, daily, as_of=later).collect().is_empty()
    assert detect_viral_signals(one, daily, as_of=later).collect().is_empty()
