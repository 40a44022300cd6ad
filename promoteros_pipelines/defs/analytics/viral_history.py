"""Viral signals and events over a past period, in one run: a backfill of their day partitions.

The 30-minute schedule runs today's partition as of now (the live round). A run over past
days (a backfill from the UI, ``dagster asset materialize --partition-range``, or
``promoteros detect viral --since``) instead replays the period: signals once over the whole
range, then the events as of every schedule round that saw new observations, in this process,
not one run per round. A replay replaces the range's signals and events (re-running it
changes nothing) and files no alerts: it is history, not news.
"""

import datetime as dt
from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue
from psycopg.types.json import Jsonb

from promoteros_pipelines.defs import checks
from promoteros_pipelines.defs.analytics.assets import read_observations
from promoteros_pipelines.defs.analytics.store import (
    read_daily,
    read_signals,
    scored_with_latest_model,
)
from promoteros_pipelines.defs.metadata import preview_table, with_artist_names
from promoteros_pipelines.domain.analytics import detect_viral_signals
from promoteros_pipelines.domain.analytics.model.features import (
    SIGNAL_KEY_COLUMNS,
)
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_EPISODE_RULES
from promoteros_pipelines.domain.viral_replay import (
    KEY,
    REPLAY_SCHEMA,
    event_evidence,
    replay_events,
    schedule_rounds,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

Window = tuple[dt.datetime, dt.datetime]
NO_ALERTS = "none: a replay of past days files no alerts (it is history, not news)"


def replay_window(context: AssetExecutionContext, as_of: str, now: dt.datetime) -> Window | None:
    """The period to replay, or None for a live round (``as_of`` given, or only today's
    partition: the 30-minute schedule). A range reaching today stops at ``now``."""
    if as_of or not context.has_partition_key_range:
        return None
    window = context.partition_time_window
    single = context.partition_key_range.start == context.partition_key_range.end
    if single and window.end > now:
        return None
    return window.start, min(window.end, now)


def replay_signals(
    context: AssetExecutionContext,
    warehouse: PostgresWarehouse,
    window: Window,
    *,
    read_back: dt.timedelta,
    baseline_days: int,
) -> MaterializeResult:
    """Every signal detected in the window, computed once, replacing the window's rows."""
    start, end = window
    observations = read_observations(warehouse, start - read_back, end)
    baselines = read_daily(
        warehouse, (start - read_back).date() - dt.timedelta(days=baseline_days), end.date()
    )
    context.log.info(f"replaying signals {start} to {end}: {observations.height:,} observations")
    last = end - dt.timedelta(microseconds=1)
    frame = (
        detect_viral_signals(
            observations.lazy(), baselines.lazy(), as_of=last, lookback=end - start
        )
        .filter(pl.col("detected_at") >= start, pl.col("detected_at") < end)
        .collect()
    )
    results = [
        checks.keys_not_null(frame, SIGNAL_KEY_COLUMNS),
        checks.keys_unique(frame, SIGNAL_KEY_COLUMNS),
        checks.values_in_range(
            frame,
            {
                "strength_positive_finite": checks.finite("strength") & (pl.col("strength") > 0),
                "growth_finite": checks.finite("growth"),
            },
        ),
    ]
    # raises Failure (nothing written) when a blocking check fails
    list(checks.stop_before_writing("viral_signals", results))
    written = warehouse.replace_partition("viral_signals", frame, "detected_at", start, end)
    return MaterializeResult(
        metadata={
            "replayed": MetadataValue.text(f"{start.isoformat()} to {end.isoformat()}"),
            "observations_read": MetadataValue.int(observations.height),
            "signals_in_window": MetadataValue.int(written),
            "artists": MetadataValue.int(frame["artist_id"].n_unique()),
            "by_type": MetadataValue.json(
                dict(frame.group_by("signal_type").len().iter_rows()) if frame.height else {}
            ),
        },
        check_results=results,
    )


def _open_at(warehouse: PostgresWarehouse, start: dt.datetime) -> pl.DataFrame:
    """Events that began before the window and were still open at its start."""
    frame = warehouse.read_frame(
        f"SELECT {', '.join(REPLAY_SCHEMA.names())} FROM {warehouse.qualified('viral_events')}"
        " WHERE window_start < $1 AND (status = 'new' OR last_signal_at >= $2)",
        [start, start - DEFAULT_EPISODE_RULES.gap],
    )
    return frame.cast(REPLAY_SCHEMA) if frame.height else pl.DataFrame(schema=REPLAY_SCHEMA)


def _rounds(warehouse: PostgresWarehouse, start: dt.datetime, end: dt.datetime) -> list:
    times = warehouse.read_frame(
        "SELECT DISTINCT observed_at FROM promoteros.metric_observations"
        " WHERE observed_at >= $1 AND observed_at < $2",
        [start, end],
    )
    observed = times["observed_at"] if times.height else pl.Series([], dtype=pl.Datetime("us"))
    return schedule_rounds(observed, start, end)


UPSERT = """
INSERT INTO promoteros.viral_events (
    artist_id, window_start, detected_at, last_signal_at, status, confirmed_at, confirmed_by,
    model_version, signal_count, signal_types, platforms, evidence_keys, peak_strength,
    max_probability, explanation, evidence
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (artist_id, window_start) DO UPDATE SET
    detected_at = EXCLUDED.detected_at, last_signal_at = EXCLUDED.last_signal_at,
    status = EXCLUDED.status, confirmed_at = EXCLUDED.confirmed_at,
    confirmed_by = EXCLUDED.confirmed_by, model_version = EXCLUDED.model_version,
    signal_count = EXCLUDED.signal_count, signal_types = EXCLUDED.signal_types,
    platforms = EXCLUDED.platforms, evidence_keys = EXCLUDED.evidence_keys,
    peak_strength = EXCLUDED.peak_strength, max_probability = EXCLUDED.max_probability,
    explanation = EXCLUDED.explanation, evidence = EXCLUDED.evidence, updated_at = now()
"""


def _row(event: dict, version: str | None) -> tuple:
    by_model = event["max_probability"] is not None
    confirmed = event["status"] == "confirmed"
    evidence = {
        name: event[name]
        for name in (
            "explanation",
            "signal_types",
            "platforms",
            "evidence_keys",
            "peak_strength",
            "max_probability",
        )
    }
    return (
        event["artist_id"],
        event["window_start"],
        event["detected_at"],
        event["last_signal_at"],
        event["status"],
        event["confirmed_at"] if confirmed else None,
        ("model" if by_model else "rules") if confirmed else None,
        version if by_model else None,
        event["signal_count"],
        event["signal_types"],
        event["platforms"],
        event["evidence_keys"],
        event["peak_strength"],
        event["max_probability"],
        event["explanation"],
        Jsonb({**evidence, "signals": event["evidence_signals"], "replayed": True}),
    )


def write_replayed_events(
    warehouse: PostgresWarehouse, events: pl.DataFrame, window: Window, version: str | None
) -> int:
    """Replace the events that began in the window (and update those open at its start)."""
    with warehouse.connect() as conn, conn.cursor() as cursor:
        cursor.execute(
            "DELETE FROM promoteros.viral_events WHERE window_start >= %s AND window_start < %s",
            window,
        )
        cursor.executemany(UPSERT, [_row(event, version) for event in events.iter_rows(named=True)])
    return events.height


def event_ranges() -> dict[str, pl.Expr]:
    """The value checks of ``viral_events`` rows, live or replayed."""
    return {
        "probability_0_to_1": pl.col("max_probability").is_between(0, 1),
        "status_known": pl.col("status").is_in(["new", "confirmed", "dismissed"]),
        "strength_finite": checks.finite("peak_strength"),
    }


def replay_viral_events(
    context: AssetExecutionContext,
    warehouse: PostgresWarehouse,
    window: Window,
    model_dir: Path,
) -> MaterializeResult:
    """Events as the 30-minute rounds of the window would have left them, written at once."""
    start, end = window
    stored = read_signals(warehouse, start, end, from_since=True)
    until = stored["detected_at"].max() if stored.height else end
    assert isinstance(until, dt.datetime)
    signals, version = scored_with_latest_model(
        context.log, warehouse, stored, reference=start, until=until, model_dir=model_dir
    )
    rounds = _rounds(warehouse, start, end)
    context.log.info(f"replaying events over {len(rounds):,} rounds, {signals.height:,} signals")
    events = replay_events(signals, rounds, initial=_open_at(warehouse, start))
    events = event_evidence(events, signals)
    written = write_replayed_events(warehouse, events, window, version) if events.height else 0
    counts = dict(events.group_by("status").len().iter_rows()) if events.height else {}
    return MaterializeResult(
        metadata={
            "replayed": MetadataValue.text(f"{start.isoformat()} to {end.isoformat()}"),
            "rounds": MetadataValue.int(len(rounds)),
            "confirmed_by": MetadataValue.text(
                f"model {version}" if version else "rules alone (no viral model is trained yet)"
            ),
            "events_written": MetadataValue.int(written),
            "confirmed": MetadataValue.int(counts.get("confirmed", 0)),
            "dismissed": MetadataValue.int(counts.get("dismissed", 0)),
            "still_open": MetadataValue.int(counts.get("new", 0)),
            "alerts_filed": MetadataValue.text(NO_ALERTS),
            "confirmed_events": preview_table(
                with_artist_names(
                    warehouse,
                    events.filter(pl.col("status") == "confirmed")
                    .sort("confirmed_at")
                    .select("artist_id", "window_start", "confirmed_at", "explanation")
                    .head(15),
                )
            ),
        },
        check_results=[
            checks.keys_not_null(events, KEY),
            checks.keys_unique(events, KEY),
            checks.values_in_range(events, event_ranges()),
        ],
    )
