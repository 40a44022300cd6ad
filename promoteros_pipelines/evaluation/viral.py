"""``promoteros evaluate viral``: detection over a history scored against its truth.

One pipeline (``run_detection``) for the simulated world and for a history loaded from files
(``history.py``), with the steps as the assets would run them:

1. ``daily_artist_metrics`` for every day (computed in 30-day chunks, as a backfill would);
2. ``viral_signals`` over the whole period (the 30-minute runs see the same observations);
3. the model, trained like the weekly ``viral_model`` asset at each ``train_times`` entry on
   the signals before it, with labels from what happened next (never from the ground truth),
   and put in use only when it beats the current detector and the rules alone on held-out
   weeks (champion/challenger); signals are scored by the model in use when they arrive;
4. ``viral_events`` replayed at every observation round, by rules alone and by rules + model.

``evaluate_viral`` runs it on a generated world and scores the events of the later days
against the world's episodes (see ``scoring``).
"""

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from promoteros_pipelines.domain.analytics import (
    daily_features,
    detect_viral_signals,
    observation_window,
)
from promoteros_pipelines.domain.analytics.model.features import SIGNAL_KEY_COLUMNS, signal_features
from promoteros_pipelines.domain.analytics.model.labels import viral_episode_labels
from promoteros_pipelines.domain.analytics.model.train import (
    NotEnoughHistory,
    beats_champion,
    predict_probability,
    train_viral_model,
)
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_VIRAL_THRESHOLDS
from promoteros_pipelines.domain.viral_replay import replay_events
from promoteros_pipelines.evaluation.observations import sample_times, world_observations
from promoteros_pipelines.evaluation.scoring import METRIC_KEYS, newsworthy_episodes, score
from promoteros_pipelines.simulator.world import generate_world

Progress = Callable[[str], None]
PER_KIND_KEYS = ("decoys_flagged", "recall_by_kind", "decoys_flagged_by_kind")


@dataclass(frozen=True)
class EvaluationSettings:
    seed: int = 7
    n_artists: int = 2_000
    days: int = 365
    cadence_hours: int = 6
    train_days: int = 200
    """The model sees signals before this day; both detectors are scored after it."""
    chunk_days: int = 30


@dataclass
class Detection:
    """What the pipeline produced: its tables and the models it trained."""

    daily: pl.DataFrame
    signals: pl.DataFrame
    rules_events: pl.DataFrame
    final_events: pl.DataFrame
    models: list[dict] = field(default_factory=list)
    """Per training time: when, whether it was promoted and why, its held-out figures."""
    unused_metrics: dict = field(default_factory=dict)

    @property
    def model_used(self) -> bool:
        return any(model["promoted"] for model in self.models)


def daily_in_chunks(obs: pl.DataFrame, first: dt.date, last: dt.date, chunk: int) -> pl.DataFrame:
    """``daily_artist_metrics`` from ``first`` to ``last``, ``chunk`` days per computation."""
    parts = []
    day = first
    while day <= last:
        end = min(day + dt.timedelta(days=chunk - 1), last)
        since = dt.datetime.combine(observation_window(day), dt.time(), dt.UTC)
        until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
        window = obs.filter(pl.col("observed_at") >= since, pl.col("observed_at") < until)
        parts.append(daily_features(window.lazy(), start=day, end=end).collect())
        day = end + dt.timedelta(days=1)
    return pl.concat(parts)


def _train_at(
    at: dt.datetime,
    signals: pl.DataFrame,
    daily: pl.DataFrame,
    rows: pl.DataFrame,
    champion: object | None,
    seed: int,
) -> tuple[object | None, dict]:
    """Train as the weekly asset would at ``at``; the estimator is None unless promoted."""
    seen = signals.filter(pl.col("detected_at") < at)
    labels = viral_episode_labels(seen, daily.filter(pl.col("day") < at.date()), as_of=at)
    training = rows.join(labels, on=SIGNAL_KEY_COLUMNS).filter(pl.col("label").is_not_null())
    record: dict = {"at": at.isoformat(), "promoted": False, "labelled": training.height}
    if training.is_empty():
        return None, {**record, "reason": "no labelled signals"}
    split_at = training["detected_at"].quantile(0.75)
    split = training.filter(pl.col("detected_at") >= split_at)["detected_at"].min()
    try:
        model = train_viral_model(training, split_at=split, seed=seed, champion=champion)  # type: ignore[arg-type]
    except NotEnoughHistory as error:
        return None, {**record, "reason": str(error)}
    promoted, why = beats_champion(model.metrics)
    figures = {k: v for k, v in model.metrics.items() if k != "feature_importances"}
    record.update(promoted=promoted, reason=why, metrics=figures)
    return (model.estimator if promoted else None), record


def run_detection(
    obs: pl.DataFrame,
    *,
    start: dt.datetime,
    end: dt.datetime,
    run_times: list[dt.datetime],
    train_times: list[dt.datetime],
    seed: int = 0,
    chunk_days: int = 30,
    progress: Progress = lambda _: None,
) -> Detection:
    """Features, signals, models and replayed events over ``obs`` (``OBSERVATION_SCHEMA``)."""
    daily = daily_in_chunks(obs, start.date(), end.date(), chunk_days)
    progress(f"{daily.height:,} daily rows; viral signals")
    signals = detect_viral_signals(
        obs.lazy(), daily.lazy(), as_of=end, lookback=end - start + dt.timedelta(days=1)
    ).collect()
    progress(f"{signals.height:,} signals; models at {len(train_times)} training time(s)")
    rows = signal_features(signals, daily)
    champion, models, parts = None, [], []
    bounds = [*train_times, end + dt.timedelta(days=1)]
    parts.append(signals.filter(pl.col("detected_at") < bounds[0]))
    for at, until in itertools.pairwise(bounds):
        challenger, record = _train_at(at, signals, daily, rows, champion, seed)
        champion = challenger if challenger is not None else champion
        models.append(record)
        progress(f"model at {at:%Y-%m-%d}: {'promoted' if record['promoted'] else 'kept'}")
        batch = signals.filter(pl.col("detected_at") >= at, pl.col("detected_at") < until)
        if champion is not None and batch.height:
            keyed = rows.join(batch.select(SIGNAL_KEY_COLUMNS), on=SIGNAL_KEY_COLUMNS)
            probability = keyed.select(SIGNAL_KEY_COLUMNS).with_columns(
                predict_probability(champion, keyed)  # type: ignore[arg-type]
            )
            batch = batch.join(probability, on=SIGNAL_KEY_COLUMNS, how="left")
        parts.append(batch)
    scored = pl.concat(parts, how="diagonal_relaxed")
    progress("replaying viral_events: rules alone")
    rules_events = replay_events(signals, run_times)
    final_events = rules_events
    if any(model["promoted"] for model in models):
        progress("replaying viral_events: rules + model")
        final_events = replay_events(scored, run_times)
    return Detection(daily, signals, rules_events, final_events, models)


def headline(final: dict, rules: dict) -> dict:
    """The keys printed by ``--json``: the final detector's, and the rules' under rules_only."""
    keys = [*METRIC_KEYS, *(k for k in PER_KIND_KEYS if k in final)]
    return {**{k: final[k] for k in keys}, "rules_only": {k: rules[k] for k in keys}}


def evaluate_viral(
    settings: EvaluationSettings = EvaluationSettings(), progress: Progress = lambda _: None
) -> dict:
    """Scores of the final detector (rules + model) and, under ``rules_only``, of the rules."""
    world = generate_world(seed=settings.seed, n_artists=settings.n_artists)
    start = world.start
    end = start + dt.timedelta(days=settings.days)
    cadence = dt.timedelta(hours=settings.cadence_hours)
    split = start + dt.timedelta(days=settings.train_days)
    progress(f"world seed={settings.seed}: {settings.n_artists} artists, sampling every {cadence}")
    obs = world_observations(world, start, end, cadence)
    progress(f"{obs.height:,} observations; daily features")
    runs = sample_times(start, end, cadence)
    detection = run_detection(
        obs,
        start=start,
        end=end,
        run_times=runs,
        train_times=[split],
        seed=settings.seed,
        chunk_days=settings.chunk_days,
        progress=progress,
    )
    episodes = newsworthy_episodes(world.episodes, obs, DEFAULT_VIRAL_THRESHOLDS.audience_floor)
    decoys = getattr(world, "decoys", None)  # the hard cases' look-alikes, when the world has them
    period = (split, end - dt.timedelta(days=7))
    signals = detection.signals
    rules = score(detection.rules_events, episodes, signals, period=period, decoys=decoys)
    final = rules
    if detection.model_used:
        final = score(detection.final_events, episodes, signals, period=period, decoys=decoys)
    model = detection.models[0]
    return {
        **headline(final, rules),
        "details": {
            "seed": settings.seed,
            "artists": settings.n_artists,
            "period": [period[0].isoformat(), period[1].isoformat()],
            "model": final,
            "rules_only": rules,
            "model_trained": "metrics" in model,
            "model_promoted": model["promoted"],
            "model_decision": model.get("reason"),
            "model_training": model.get("metrics", {}),
        },
    }
