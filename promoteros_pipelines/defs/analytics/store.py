"""Reads of the analytics tables, and the model scoring, that the live viral round and the
replay of a period share."""

import datetime as dt
import logging
from pathlib import Path

import polars as pl
from dagster import DagsterLogManager

from promoteros_pipelines.defs.analytics.model_store import UntrustedModelError, load_latest
from promoteros_pipelines.domain.analytics import SIGNAL_SCHEMA
from promoteros_pipelines.domain.analytics.model.features import (
    HISTORY,
    SIGNAL_KEY_COLUMNS,
    signal_features,
)
from promoteros_pipelines.domain.analytics.model.train import predict_probability
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


def read_daily(warehouse: PostgresWarehouse, first: dt.date, last: dt.date) -> pl.DataFrame:
    """``daily_artist_metrics`` rows of the days ``first`` to ``last`` (both included)."""
    return warehouse.read_frame(
        f"SELECT * FROM {warehouse.qualified('daily_artist_metrics')}"
        " WHERE day >= $1 AND day <= $2",
        [first, last],
    )


def read_signals(
    warehouse: PostgresWarehouse, since: dt.datetime, until: dt.datetime, *, from_since: bool
) -> pl.DataFrame:
    """Stored signals detected after ``since`` up to ``until``: ``(since, until]`` as a live
    round reads them, or ``[since, until)`` (``from_since``) as a replayed period does."""
    bounds = (
        "detected_at >= $1 AND detected_at < $2"
        if from_since
        else ("detected_at > $1 AND detected_at <= $2")
    )
    frame = warehouse.read_frame(
        f"SELECT {', '.join(SIGNAL_SCHEMA.names())} FROM {warehouse.qualified('viral_signals')}"
        f" WHERE {bounds}",
        [since, until],
    )
    return frame.cast(SIGNAL_SCHEMA) if frame.height else pl.DataFrame(schema=SIGNAL_SCHEMA)


def scored_with_latest_model(
    log: logging.Logger | DagsterLogManager,
    warehouse: PostgresWarehouse,
    signals: pl.DataFrame,
    *,
    reference: dt.datetime,
    until: dt.datetime,
    model_dir: Path,
) -> tuple[pl.DataFrame, str | None]:
    """``signals`` with the latest trusted model's ``probability`` and the model's version;
    unchanged (version ``None``) when no model is usable, so the rules confirm.

    Features read the stored signals and daily metrics of the ``HISTORY`` before ``reference``
    (the live round's as-of, or a replayed period's start) up to ``until``."""
    try:
        model = load_latest(warehouse, model_dir)
    except (UntrustedModelError, FileNotFoundError) as error:
        log.error(f"Model refused, confirming by the rules alone until retrained: {error}")
        return signals, None
    if model is None or signals.is_empty():
        return signals, None
    since = reference - HISTORY - dt.timedelta(days=4)
    history = read_signals(warehouse, since, until, from_since=False)
    daily = read_daily(warehouse, (reference - HISTORY).date() - dt.timedelta(days=7), until.date())
    features = signal_features(pl.concat([history, signals]).unique(SIGNAL_KEY_COLUMNS), daily)
    scored = features.select(SIGNAL_KEY_COLUMNS).with_columns(
        predict_probability(model.estimator, features)
    )
    return signals.join(scored, on=SIGNAL_KEY_COLUMNS, how="left"), model.version
