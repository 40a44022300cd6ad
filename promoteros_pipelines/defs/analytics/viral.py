"""Viral detection: signals every 30 minutes, a weekly model, and one event per episode."""

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    Backoff,
    Config,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)
from psycopg.types.json import Jsonb

from promoteros_pipelines.defs import checks, freshness
from promoteros_pipelines.defs.alerts.store import Alert, file_alert
from promoteros_pipelines.defs.analytics.assets import daily_artist_metrics, read_observations
from promoteros_pipelines.defs.analytics.model_store import (
    UntrustedModelError,
    default_model_dir,
    load_latest,
    save_model,
)
from promoteros_pipelines.defs.analytics.store import (
    read_daily,
    read_signals,
    scored_with_latest_model,
)
from promoteros_pipelines.defs.analytics.viral_history import (
    event_ranges,
    replay_signals,
    replay_viral_events,
    replay_window,
)
from promoteros_pipelines.defs.metadata import (
    FILES_INTO,
    markdown_table,
    preview_table,
    table,
    with_artist_names,
)
from promoteros_pipelines.defs.partitions import viral_days
from promoteros_pipelines.domain.analytics import (
    EVENT_SCHEMA,
    detect_viral_signals,
    group_into_episodes,
)
from promoteros_pipelines.domain.analytics.glitches import find_glitches
from promoteros_pipelines.domain.analytics.model.features import (
    SIGNAL_KEY_COLUMNS,
    signal_features,
)
from promoteros_pipelines.domain.analytics.model.labels import HORIZON_DAYS, viral_episode_labels
from promoteros_pipelines.domain.analytics.model.train import (
    NotEnoughHistory,
    beats_champion,
    train_viral_model,
)
from promoteros_pipelines.domain.analytics.schema import unusable_metrics
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_EPISODE_RULES
from promoteros_pipelines.domain.wording import signal_sentence
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

GROUP = "analytics"
KINDS = {"polars", "postgres"}
OWNERS = ["team:analytics"]
LOOKBACK = dt.timedelta(hours=48)
# the detector compares with ~24h earlier (+12h tolerance), so it reads 36h more than it scores
READ_BACK = LOOKBACK + dt.timedelta(hours=36)
BASELINE_DAYS = 6
RETRY = RetryPolicy(max_retries=2, delay=10, backoff=Backoff.EXPONENTIAL)
MODEL_RETRY = RetryPolicy(max_retries=2, delay=5, backoff=Backoff.EXPONENTIAL)
EVENT_KEY = ["artist_id", "window_start"]
GLITCH_KEY = ["artist_id", "platform", "metric", "observed_at"]


class DetectionConfig(Config):
    """``as_of`` (ISO timestamp) replays a past run; empty means now."""

    as_of: str = ""
    model_dir: str = ""


def _as_of(config: DetectionConfig) -> dt.datetime:
    if not config.as_of:
        return dt.datetime.now(dt.UTC)
    parsed = dt.datetime.fromisoformat(config.as_of)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _model_dir(config: DetectionConfig) -> Path:
    return Path(config.model_dir) if config.model_dir else default_model_dir()


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=[daily_artist_metrics, "metric_observations"],
    retry_policy=RETRY,
    check_specs=checks.quality_specs("viral_signals"),
    partitions_def=viral_days,
    backfill_policy=BackfillPolicy.single_run(),
)
def viral_signals(
    context: AssetExecutionContext, config: DetectionConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """Artists moving abnormally in the last 48 hours, one row per piece of evidence:
    follower spikes (more than 50% in 24h above a 1,000-follower floor), engagement surges
    (over 200% of the 28-day baseline), cross-platform momentum (unusual growth on two or more
    platforms within 48h) and growth far above same-tier peers. Each row says why in a
    sentence and how far over its threshold it is (`strength`, 1.0 = at the threshold).
    A value that departs and returns within one sample is a glitch, not a spike: it is left
    out and recorded in `observation_glitches`; metrics the detector cannot use are counted in
    the run's metadata.

    Keyed by (artist_id, platform, signal_type, detected_at); the 30-minute runs overlap, so a
    re-detected signal updates its row instead of adding one. Backfilling past days replays
    them in one run (`promoteros detect viral --since`).
    """
    window = replay_window(context, config.as_of, dt.datetime.now(dt.UTC))
    if window is not None:
        return replay_signals(
            context, warehouse, window, read_back=READ_BACK, baseline_days=BASELINE_DAYS
        )
    as_of = _as_of(config)
    observations = read_observations(warehouse, as_of - READ_BACK, as_of + dt.timedelta(seconds=1))
    baselines = read_daily(
        warehouse, (as_of - READ_BACK).date() - dt.timedelta(days=BASELINE_DAYS), as_of.date()
    )
    frame = detect_viral_signals(
        observations.lazy(), baselines.lazy(), as_of=as_of, lookback=LOOKBACK
    ).collect()
    changed = warehouse.upsert("viral_signals", frame, SIGNAL_KEY_COLUMNS)
    glitches = find_glitches(observations).collect()
    warehouse.upsert("observation_glitches", glitches, GLITCH_KEY, update=[])
    unusable = unusable_metrics(observations).collect()
    ranges = {
        "strength_positive_finite": checks.finite("strength") & (pl.col("strength") > 0),
        "growth_finite": checks.finite("growth"),
    }
    return MaterializeResult(
        metadata={
            "as_of": MetadataValue.text(as_of.isoformat()),
            "signals_in_window": MetadataValue.int(frame.height),
            "rows_inserted_or_changed": MetadataValue.int(changed),
            "artists": MetadataValue.int(frame["artist_id"].n_unique()),
            "glitches_set_aside": MetadataValue.int(glitches.height),
            "unusable_metric_rows": MetadataValue.json(
                {f"{p}/{m}": n for p, m, n in unusable.iter_rows()}
            ),
            "by_type": MetadataValue.json(
                dict(frame.group_by("signal_type").len().iter_rows()) if frame.height else {}
            ),
            "strongest": preview_table(
                with_artist_names(
                    warehouse,
                    frame.sort("strength", descending=True)
                    .head(10)
                    .select(
                        "artist_id",
                        "platform",
                        "signal_type",
                        "detected_at",
                        "strength",
                        "explanation",
                    ),
                )
            ),
        },
        check_results=[
            checks.keys_not_null(frame, SIGNAL_KEY_COLUMNS),
            checks.keys_unique(frame, SIGNAL_KEY_COLUMNS),
            checks.values_in_range(frame, ranges),
        ],
    )


def training_rows(
    warehouse: PostgresWarehouse, as_of: dt.datetime, days: int = 365
) -> pl.DataFrame:
    """Model features and sustained-growth labels for the signals of the last ``days``."""
    signals = read_signals(warehouse, as_of - dt.timedelta(days=days), as_of, from_since=False)
    if signals.is_empty():
        return pl.DataFrame()
    first = signals["window_start"].min().date() - dt.timedelta(days=HORIZON_DAYS + 3)  # type: ignore[union-attr]
    daily = read_daily(warehouse, first, as_of.date())
    labels = viral_episode_labels(signals, daily, as_of=as_of)
    return signal_features(signals, daily).join(labels, on=SIGNAL_KEY_COLUMNS)


def _alert_failure(warehouse: PostgresWarehouse, as_of: dt.datetime, error: Exception) -> None:
    subject = (
        f"viral_model failed ({type(error).__name__}: {error}); viral_events keeps the current "
        "detector. Look at the run's logs, then rematerialise viral_model."
    )
    key = f"viral_model_failed:{as_of:%Y-%m-%d}"
    file_alert(warehouse, Alert("system", "critical", subject, key, {"error": str(error)}))


def _current_champion(
    context: AssetExecutionContext, warehouse: PostgresWarehouse, model_dir: Path
) -> object | None:
    try:
        current = load_latest(warehouse, model_dir)
    except (UntrustedModelError, FileNotFoundError) as error:
        context.log.warning(f"current model unusable, compared with the rules alone: {error}")
        return None
    return current.estimator if current else None


@asset(
    group_name=GROUP,
    kinds={"scikit-learn", "postgres"},
    owners=OWNERS,
    deps=[viral_signals],
    retry_policy=MODEL_RETRY,
)
def viral_model(
    context: AssetExecutionContext, config: DetectionConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """The viral model, retrained weekly: for each signal, the probability that the artist is
    really breaking out, learned from what happened next (a burst of growth followed by a new,
    faster trajectory or engagement staying far above baseline; a level shift or a glitch is
    not a break-out). Trained on older signals and tested on the latest weeks it has not seen;
    it replaces the current model only if its precision and recall there are at least those of
    the current model and of the rules alone (both figures in the metadata). Saved to the model
    store with its sha256; `viral_events` loads only files recorded here. Retried twice; a
    failure files a system alert.
    """
    try:
        return _train_model(context, config, warehouse, _as_of(config))
    except Exception as error:
        if context.retry_number >= (MODEL_RETRY.max_retries or 0):
            _alert_failure(warehouse, dt.datetime.now(dt.UTC), error)
        raise


def _train_model(
    context: AssetExecutionContext,
    config: DetectionConfig,
    warehouse: PostgresWarehouse,
    as_of: dt.datetime,
) -> MaterializeResult:
    rows = training_rows(warehouse, as_of)
    labelled = rows.filter(pl.col("label").is_not_null()) if rows.height else rows
    if labelled.height == 0:
        context.log.warning("No labelled signals yet: viral_events keeps using the rules alone.")
        return MaterializeResult(metadata={"trained": False, "reason": "no labelled signals"})
    split_at = labelled["detected_at"].quantile(0.75)
    split = labelled.filter(pl.col("detected_at") >= split_at)["detected_at"].min()
    champion = _current_champion(context, warehouse, _model_dir(config))
    try:
        model = train_viral_model(rows, split_at=split, champion=champion)  # type: ignore[arg-type]
    except NotEnoughHistory as error:
        context.log.warning(f"viral_model not trained: {error}")
        return MaterializeResult(metadata={"trained": False, "reason": str(error)})
    metrics = model.metrics
    promoted, why = beats_champion(metrics)
    figures: dict[str, Any] = {
        "trained": True,
        "promoted": promoted,
        "decision": MetadataValue.text(why),
        "roc_auc": MetadataValue.float(metrics["roc_auc"]),
        "threshold": MetadataValue.float(metrics["threshold"]),
        "precision_at_threshold": MetadataValue.float(metrics["model_precision"]),
        "recall_at_threshold": MetadataValue.float(metrics["model_recall"]),
        "rules_precision": MetadataValue.float(metrics["rules_precision"]),
        "rules_recall": MetadataValue.float(metrics["rules_recall"]),
        **{
            f"current_model_{figure}": MetadataValue.float(metrics[f"champion_{figure}"])
            for figure in ("precision", "recall")
            if f"champion_{figure}" in metrics
        },
        "precision_at_20": MetadataValue.float(metrics["precision_at_20"]),
        "training_rows": MetadataValue.int(metrics["training_rows"]),
        "test_rows": MetadataValue.int(metrics["test_rows"]),
    }
    importances = pl.DataFrame(
        list(metrics["feature_importances"].items()), schema=["feature", "importance"], orient="row"
    )
    figures["feature_importances"] = markdown_table(importances, limit=25)
    if not promoted:
        context.log.info(f"challenger not promoted: {why}")
        return MaterializeResult(metadata=figures)
    version, path, digest = save_model(warehouse, model, _model_dir(config), now=as_of)
    return MaterializeResult(
        metadata={
            **figures,
            "version": MetadataValue.text(version),
            "path": MetadataValue.path(str(path)),
            "sha256": MetadataValue.text(digest),
        }
    )


UPSERT_EVENT = """
INSERT INTO promoteros.viral_events (
    artist_id, window_start, detected_at, last_signal_at, status, confirmed_at, confirmed_by,
    model_version, signal_count, signal_types, platforms, evidence_keys, peak_strength,
    max_probability, explanation, evidence
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (artist_id, window_start) DO UPDATE SET
    last_signal_at = EXCLUDED.last_signal_at,
    status = EXCLUDED.status,
    confirmed_at = COALESCE(viral_events.confirmed_at, EXCLUDED.confirmed_at),
    confirmed_by = COALESCE(viral_events.confirmed_by, EXCLUDED.confirmed_by),
    model_version = COALESCE(EXCLUDED.model_version, viral_events.model_version),
    signal_count = EXCLUDED.signal_count,
    signal_types = EXCLUDED.signal_types,
    platforms = EXCLUDED.platforms,
    evidence_keys = EXCLUDED.evidence_keys,
    peak_strength = EXCLUDED.peak_strength,
    max_probability = EXCLUDED.max_probability,
    explanation = EXCLUDED.explanation,
    evidence = EXCLUDED.evidence,
    updated_at = now()
"""


def open_events(warehouse: PostgresWarehouse, as_of: dt.datetime) -> pl.DataFrame:
    """Events a new signal may extend, plus unconfirmed ones that may now be dismissed."""
    frame = warehouse.read_frame(
        f"SELECT {', '.join(EVENT_SCHEMA.names())} FROM {warehouse.qualified('viral_events')}"
        " WHERE status = 'new' OR last_signal_at >= $1",
        [as_of - DEFAULT_EPISODE_RULES.gap],
    )
    return frame.cast(EVENT_SCHEMA) if frame.height else pl.DataFrame(schema=EVENT_SCHEMA)


def _strongest_first(row: dict, signals: pl.DataFrame) -> pl.DataFrame:
    return signals.filter(
        pl.col("artist_id") == row["artist_id"], pl.col("detected_at") >= row["window_start"]
    ).sort("strength", descending=True)


def _alert_sentence(row: dict, signals: pl.DataFrame) -> str:
    """The event in the words the reports use (its strongest signal), not the detector's."""
    mine = _strongest_first(row, signals)
    strongest = mine.row(0, named=True) if mine.height else {}
    return signal_sentence(strongest, fallback=row["explanation"])


def _evidence(row: dict, signals: pl.DataFrame) -> dict:
    mine = _strongest_first(row, signals)
    return {
        "explanation": row["explanation"],
        "signal_types": row["signal_types"],
        "platforms": row["platforms"],
        "evidence_keys": row["evidence_keys"],
        "peak_strength": row["peak_strength"],
        "max_probability": row["max_probability"],
        "signals": mine.head(10)["explanation"].to_list(),
    }


def write_events(
    warehouse: PostgresWarehouse,
    changed: pl.DataFrame,
    signals: pl.DataFrame,
    as_of: dt.datetime,
    model_version: str | None,
) -> int:
    """Upsert changed events and file one alert per new event; return alerts inserted."""
    names = warehouse.read_frame(
        f"SELECT artist_id, name FROM {warehouse.qualified('artists')} WHERE artist_id = ANY($1)",
        [changed["artist_id"].unique().to_list()],
    )
    name_of = dict(names.iter_rows()) if names.height else {}
    alerts = 0
    with warehouse.connect() as conn:
        for row in changed.iter_rows(named=True):
            newly = row["status"] == "confirmed" and row["previous_status"] != "confirmed"
            by = ("model" if row["max_probability"] is not None else "rules") if newly else None
            evidence = _evidence(row, signals)
            conn.execute(
                UPSERT_EVENT,
                (
                    row["artist_id"],
                    row["window_start"],
                    row["detected_at"],
                    row["last_signal_at"],
                    row["status"],
                    as_of if newly else None,
                    by,
                    model_version if row["max_probability"] is not None else None,
                    row["signal_count"],
                    row["signal_types"],
                    row["platforms"],
                    row["evidence_keys"],
                    row["peak_strength"],
                    row["max_probability"],
                    row["explanation"],
                    Jsonb(evidence),
                ),
            )
            if row["change"] != "new":
                continue
            who = name_of.get(row["artist_id"]) or f"Artist {row['artist_id']}"
            severity = "critical" if row["status"] == "confirmed" else "warning"
            key = f"viral:{row['artist_id']}:{row['window_start'].isoformat()}"
            alerts += file_alert(
                conn,
                Alert("viral", severity, f"{who}: {_alert_sentence(row, signals)}", key, evidence),
            )
    return alerts


OPEN_EVENTS = """
SELECT e.artist_id, a.name AS artist, e.detected_at, e.status, e.confirmed_by,
       array_to_string(e.platforms, ', ') AS platforms, e.peak_strength, e.max_probability,
       e.explanation
FROM promoteros.viral_events e JOIN promoteros.artists a USING (artist_id)
WHERE e.status <> 'dismissed'
ORDER BY e.detected_at DESC, e.peak_strength DESC
LIMIT 15
"""


def open_events_now(warehouse: PostgresWarehouse) -> pl.DataFrame:
    """The table's state for the UI: events not dismissed, newest first (a run that finds
    nothing new still shows what is open)."""
    return warehouse.read_frame(OPEN_EVENTS)


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=[viral_signals, viral_model],
    retry_policy=RETRY,
    check_specs=checks.quality_specs("viral_events"),
    freshness_policy=freshness.EVERY_30_MINUTES,
    partitions_def=viral_days,
    backfill_policy=BackfillPolicy.single_run(),
    metadata={**table("viral_events"), FILES_INTO: "alerts"},
)
def viral_events(
    context: AssetExecutionContext, config: DetectionConfig, warehouse: PostgresWarehouse
) -> MaterializeResult:
    """Artists going viral: one row per artist episode (a run of signals with no silence
    longer than 72 hours), with the window start, when it was first detected, the evidence
    and a status: `new` (being watched), `confirmed` (by the model's probability, or by the
    rules alone until a model beats them: two pieces of evidence from the seed definitions -
    spike, engagement surge, cross-platform - or one of them at 1.5x its threshold; growth
    above peers alone never confirms) or `dismissed` (went quiet unconfirmed). A continuing
    spike updates its event; each new event files one alert for delivery.

    Keyed by (artist_id, window_start). Backfilling past days replays every 30-minute round
    of them in one run, without alerts.
    """
    window = replay_window(context, config.as_of, dt.datetime.now(dt.UTC))
    if window is not None:
        return replay_viral_events(context, warehouse, window, _model_dir(config))
    as_of = _as_of(config)
    recent = read_signals(warehouse, as_of - LOOKBACK, as_of, from_since=False)
    signals, version = scored_with_latest_model(
        context.log, warehouse, recent, reference=as_of, until=as_of, model_dir=_model_dir(config)
    )
    changed = group_into_episodes(signals, open_events(warehouse, as_of), as_of=as_of).collect()
    alerts = write_events(warehouse, changed, signals, as_of, version) if changed.height else 0
    counts = dict(changed.group_by("change").len().iter_rows()) if changed.height else {}
    return MaterializeResult(
        metadata={
            "as_of": MetadataValue.text(as_of.isoformat()),
            "confirmed_by": MetadataValue.text(
                f"model {version}"
                if version
                else "rules alone: no viral model is trained yet (job viral_model_training)"
            ),
            "new_events": MetadataValue.int(counts.get("new", 0)),
            "updated_events": MetadataValue.int(counts.get("updated", 0)),
            "alerts_filed": MetadataValue.int(alerts),
            "open_events": preview_table(open_events_now(warehouse), limit=15),
            "changed_this_run": preview_table(
                with_artist_names(
                    warehouse,
                    changed.select(
                        "artist_id",
                        "window_start",
                        "status",
                        "change",
                        "peak_strength",
                        "max_probability",
                        "explanation",
                    ),
                )
            ),
        },
        check_results=[
            checks.keys_not_null(changed, EVENT_KEY),
            checks.keys_unique(changed, EVENT_KEY),
            checks.values_in_range(changed, event_ranges()),
        ],
    )
