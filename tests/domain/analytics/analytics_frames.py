"""Builders for hand-typed observation and baseline frames."""

from datetime import UTC, date, datetime, timedelta

import polars as pl

from promoteros_pipelines.domain.analytics import SIGNAL_SCHEMA
from promoteros_pipelines.domain.analytics.schema import OBSERVATION_SCHEMA

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)
DAY0 = date(2024, 3, 1)


def observations(rows: list[tuple[int, str, str, datetime, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")


def daily_followers(
    artist_id: int, platform: str, values: dict[int, float], metric: str = "followers"
) -> list[tuple[int, str, str, datetime, float]]:
    """One noon observation per listed day offset from DAY0."""
    return [
        (artist_id, platform, metric, T0 + timedelta(days=day), value)
        for day, value in values.items()
    ]


def baselines(rows: list[dict]) -> pl.DataFrame:
    """Hand-written daily_features rows (only the columns the detector reads)."""
    defaults = {
        "followers": 10_000.0,
        "growth_1d_baseline_median": 0.01,
        "growth_1d_baseline_mad": 0.005,
        "engagement_rate_baseline_median": 0.02,
        "engagement_rate_baseline_mad": 0.002,
    }
    return pl.DataFrame(
        [{**defaults, **row} for row in rows],
        schema={
            "artist_id": pl.Int64,
            "platform": pl.Utf8,
            "day": pl.Date,
            "followers": pl.Float64,
            "growth_1d_baseline_median": pl.Float64,
            "growth_1d_baseline_mad": pl.Float64,
            "engagement_rate_baseline_median": pl.Float64,
            "engagement_rate_baseline_mad": pl.Float64,
        },
    )


def signal_rows(*rows: dict) -> pl.DataFrame:
    """Signals in ``SIGNAL_SCHEMA``; the columns a row does not give are null."""
    blank = dict.fromkeys(SIGNAL_SCHEMA.names())
    return pl.DataFrame([{**blank, **row} for row in rows], schema=SIGNAL_SCHEMA)
