"""The model store loads only what it wrote: recorded hash, store directory, trusted types."""

import datetime as dt
import shutil

import numpy as np
import polars as pl
import pytest

from promoteros_pipelines.defs.analytics.model_store import (
    UntrustedModelError,
    load_latest,
    load_model,
    save_model,
)
from promoteros_pipelines.domain.analytics.model.features import FEATURES
from promoteros_pipelines.domain.analytics.model.train import (
    NotEnoughHistory,
    predict_probability,
    train_viral_model,
)

START = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def rows(n: int = 600, seed: int = 1) -> pl.DataFrame:
    """Signals whose label follows their strength (strong ones are real), over 60 days."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, len(FEATURES)))
    frame = pl.DataFrame(values, schema=FEATURES, orient="row")
    return frame.with_columns(
        rules_confirmed=frame["context_max_strength"] > 1.0,
        detected_at=pl.Series([START + dt.timedelta(hours=2.4 * i) for i in range(n)]),
        label=((frame["context_max_strength"] + 0.3 * rng.normal(size=n)) > 0.5).cast(pl.Int8),
    )


@pytest.fixture(scope="module")
def model():
    return train_viral_model(rows(), split_at=START + dt.timedelta(days=45))


def test_training_reports_the_metrics_the_ui_shows(model):
    metrics = model.metrics
    assert metrics["roc_auc"] > 0.8
    assert {"model_precision", "model_recall", "rules_precision", "precision_at_20"} <= set(metrics)
    assert metrics["training_rows"] + metrics["test_rows"] == 600
    assert next(iter(metrics["feature_importances"])) == "context_max_strength"


def test_too_little_history_is_refused_with_a_reason():
    with pytest.raises(NotEnoughHistory, match="labelled signals"):
        train_viral_model(rows(50), split_at=START + dt.timedelta(days=3))


def test_a_saved_model_loads_back_and_predicts_the_same(warehouse, model, tmp_path):
    version, path, digest = save_model(warehouse, model, tmp_path)
    loaded = load_model(warehouse, path, tmp_path)
    assert loaded.version == version and len(digest) == 64
    sample = rows(20, seed=2)
    expected = predict_probability(model.estimator, sample)
    assert predict_probability(loaded.estimator, sample).to_list() == pytest.approx(
        expected.to_list()
    )
    assert load_latest(warehouse, tmp_path).version == version


def test_tampered_bytes_are_refused(warehouse, model, tmp_path):
    _, path, _ = save_model(warehouse, model, tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(UntrustedModelError, match="not a model this project wrote"):
        load_model(warehouse, path, tmp_path)


def test_a_file_we_did_not_record_is_refused(warehouse, model, tmp_path):
    other = tmp_path / "elsewhere"
    _, path, _ = save_model(warehouse, model, other)
    stranger = tmp_path / "viral-stranger.skops"
    shutil.copy(path, stranger)
    stranger.write_bytes(stranger.read_bytes() + b"\0")  # same model, unknown hash
    with pytest.raises(UntrustedModelError):
        load_model(warehouse, stranger, tmp_path)


def test_a_file_outside_the_store_is_refused(warehouse, model, tmp_path):
    _, path, _ = save_model(warehouse, model, tmp_path / "store")
    with pytest.raises(UntrustedModelError, match="outside the model store"):
        load_model(warehouse, path, tmp_path / "other-store")
