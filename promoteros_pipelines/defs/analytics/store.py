"""Reads of the analytics tables that the live viral round and the replay of a period share."""

import datetime as dt

import polars as pl

from promoteros_pipelines.domain.analytics import SIGNAL_SCHEMA
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
