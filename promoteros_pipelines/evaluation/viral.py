"""``promoteros evaluate viral``: detection over a simulated world scored against its truth.

Steps, as the assets would run them:

1. observations every ``cadence`` (6h) over ``days`` of a generated world;
2. ``daily_artist_metrics`` for every day (computed in 30-day chunks, as a backfill would);
3. ``viral_signals`` over the whole period (the 30-minute runs see the same observations);
4. the model, trained like the weekly ``viral_model`` asset on signals before ``train_days``
   with labels from sustained growth (14 days of hindsight), never from the ground truth;
5. ``viral_events`` replayed at every observation round, by rules alone and by rules + model;
6. both scored on the episodes that start after ``train_days`` (see ``scoring``).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from promoteros_pipelines.domain.analytics import (
    daily_features,
    detect_viral_signals,
    observation_window,
)
from promoteros_pipelines.domain.analytics.model.features import SIGNAL_KEY_COLUMNS, signal_features
from promoteros_pipelines.domain.analytics.model.labels import HORIZON_DAYS, sustained_growth_labels
from promoteros_pipelines.domain.analytics.model.train import (
    NotEnoughHistory,
    predict_probability,
    train_viral_model,
)
from promoteros_pipelines.domain.analytics.thresholds import (
    DEFAULT_EPISODE_RULES,
    DEFAULT_VIRAL_THRESHOLDS,
)
from promoteros_pipelines.evaluation.observations import sample_times, world_observations
from promoteros_pipelines.evaluation.replay import replay_events
from promoteros_pipelines.evaluation.scoring import METRIC_KEYS, newsworthy_episodes, score
from promoteros_pipelines.simulator.world import generate_world

Progress = Callable[[str], None]


@dataclass(frozen=True)
class EvaluationSettings:
    seed: int = 7
    n_artists: int = 2_000
    days: int = 365
    cadence_hours: int = 6
    train_days: int = 200
    """The model sees signals before this day; both detectors are scored after it."""
    chunk_days: int = 30


def _features(obs: pl.DataFrame, first: dt.date, last: dt.date, chunk: int) -> pl.DataFrame:
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
    daily = _features(obs, start.date(), end.date(), settings.chunk_days)
    progress(f"{daily.height:,} daily rows; viral signals")
    signals = detect_viral_signals(
        obs.lazy(), daily.lazy(), as_of=end, lookback=end - start + dt.timedelta(days=1)
    ).collect()
    progress(
        f"{signals.height:,} signals; training the model on the first {settings.train_days} days"
    )
    rows = signal_features(signals, daily)
    seen = signals.filter(pl.col("detected_at") < split)
    labels = sustained_growth_labels(seen, daily.filter(pl.col("day") < split.date()), as_of=split)
    training = rows.join(labels, on=SIGNAL_KEY_COLUMNS)
    try:
        model = train_viral_model(
            training,
            split_at=split - dt.timedelta(days=HORIZON_DAYS + settings.train_days // 4),
            seed=settings.seed,
        )
    except NotEnoughHistory as error:
        progress(f"no model ({error}); the final detector is the rules alone")
        model = None
    scored = signals
    if model is not None:
        probability = predict_probability(model.estimator, rows)
        scored = signals.join(
            rows.select(SIGNAL_KEY_COLUMNS).with_columns(probability),
            on=SIGNAL_KEY_COLUMNS,
            how="left",
        )
    episodes = newsworthy_episodes(world.episodes, obs, DEFAULT_VIRAL_THRESHOLDS.audience_floor)
    runs = sample_times(start, end, cadence)
    period = (split, end - dt.timedelta(days=7))
    progress("replaying viral_events: rules alone")
    rules_events = replay_events(signals, runs)
    rules = score(rules_events, episodes, signals, period=period)
    final = rules
    if model is not None:
        progress("replaying viral_events: rules + model")
        model_events = replay_events(scored, runs)
        kept = scored.filter(pl.col("probability") >= DEFAULT_EPISODE_RULES.confirm_probability)
        final = score(model_events, episodes, kept, period=period)
    return {
        **{k: final[k] for k in METRIC_KEYS},
        "rules_only": {k: rules[k] for k in METRIC_KEYS},
        "details": {
            "seed": settings.seed,
            "artists": settings.n_artists,
            "period": [period[0].isoformat(), period[1].isoformat()],
            "model": final,
            "rules_only": rules,
            "model_trained": model is not None,
            "model_training": {
                k: v
                for k, v in (model.metrics if model else {}).items()
                if k != "feature_importances"
            },
        },
    }
