"""The whole chain stays lazy and row-loop free on a synthetic population."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from promoteros_pipelines.domain.analytics import (
    artist_momentum,
    daily_features,
    detect_viral_signals,
    platform_momentum,
)
from promoteros_pipelines.domain.analytics.schema import OBSERVATION_SCHEMA

PACKAGE = Path(__file__).parents[3] / "promoteros_pipelines" / "domain" / "analytics"


def synthetic(artists: int = 200, days: int = 45) -> pl.LazyFrame:
    rng = np.random.default_rng(5)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    grid = pl.LazyFrame(
        {"artist_id": np.arange(artists, dtype=np.int64)},
    ).join(pl.LazyFrame({"platform": ["spotify", "youtube", "tiktok", "instagram"]}), how="cross")
    grid = grid.join(pl.LazyFrame({"d": np.arange(days)}), how="cross").collect()
    n = grid.height
    base = rng.uniform(1_000, 2_000_000, n // days).repeat(days)
    followers = base * (1.01 ** grid["d"].to_numpy()) * rng.uniform(0.995, 1.005, n)
    frame = grid.with_columns(
        observed_at=pl.lit(start) + pl.duration(days=pl.col("d")),
        followers=followers,
        counter=followers * 0.03 * (grid["d"].to_numpy() + 1),
    )
    return (
        pl.concat(
            [
                frame.select(
                    "artist_id",
                    "platform",
                    pl.lit("followers").alias("metric"),
                    "observed_at",
                    pl.col("followers").alias("value"),
                ),
                frame.select(
                    "artist_id",
                    "platform",
                    pl.lit("likes").alias("metric"),
                    "observed_at",
                    pl.col("counter").alias("value"),
                ),
            ]
        )
        .lazy()
        .cast(dict(OBSERVATION_SCHEMA))
    )


def test_chain_is_lazy_end_to_end():
    obs = synthetic()
    features = daily_features(obs, start=date(2024, 2, 10), end=date(2024, 2, 13))
    momentum = artist_momentum(platform_momentum(features))
    signals = detect_viral_signals(
        obs, features, as_of=datetime(2024, 2, 14, 12, tzinfo=UTC), lookback=timedelta(hours=48)
    )
    assert all(isinstance(lf, pl.LazyFrame) for lf in (features, momentum, signals))
    features_df, momentum_df, signals_df = pl.collect_all([features, momentum, signals])
    assert features_df.height == 200 * 4 * 4
    assert momentum_df["momentum_score"].is_between(0, 100).all()
    assert signals_df.is_empty()  # steady 1% a day is not viral


def test_no_row_wise_python_in_the_package():
    source = "\n".join(p.read_text() for p in PACKAGE.glob("*.py"))
    for forbidden in ("map_elements", "map_rows", "iter_rows", "apply(", ".rows("):
        assert forbidden not in source
