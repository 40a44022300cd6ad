"""Training the viral model: a calibrated gradient-boosted classifier, split by time.

The classifier scores each signal with the probability that it belongs to a real viral episode
(``labels.py``). Rows detected before ``split_at`` train it; later rows test it, so the metrics
describe the future the model has not seen. The rules alone (``rules_confirmed``: the evidence
rules of ``episodes.group_into_episodes`` over the signal's 48h context) and the current model
are scored on the same test rows, so ``beats_champion`` can decide whether the new model
replaces the current detector.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from promoteros_pipelines.domain.analytics.model.features import FEATURES
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_EPISODE_RULES

if TYPE_CHECKING:  # scikit-learn loads in ~2 s: only where a model is built or used
    from sklearn.calibration import CalibratedClassifierCV

MIN_ROWS = {"training": 200, "test": 100}
MIN_PER_CLASS = 20
MIN_PRESENT = 30
"""A feature with fewer values than this in the training rows is not learnt from."""
TOP_K = 20
MIN_ROC_AUC = 0.75
"""Below this a challenger is refused even where the rules score zero on a tiny test week."""


class NotEnoughHistory(ValueError):
    """Too few labelled signals (or only one class) to train; the message says how many."""


@dataclass
class TrainedModel:
    """The shipped estimator, its operating threshold and the metrics of the held-out test."""

    estimator: "CalibratedClassifierCV"
    threshold: float
    metrics: dict = field(default_factory=dict)


def _rules_predict(frame: pl.DataFrame) -> np.ndarray:
    """The rules' decision per signal (``rules_confirmed`` from ``signal_features``: the same
    evidence rules as ``group_into_episodes``, tier-relative growth never counting)."""
    return frame["rules_confirmed"].fill_null(False).to_numpy().astype(int)


def _scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import precision_score, recall_score

    return {
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted, zero_division=0)),
    }


def train_viral_model(
    rows: pl.DataFrame,
    *,
    split_at: dt.datetime,
    threshold: float = DEFAULT_EPISODE_RULES.confirm_probability,
    seed: int = 0,
    champion: "CalibratedClassifierCV | None" = None,
) -> TrainedModel:
    """Measure on ``rows`` (``FEATURES`` + ``rules_confirmed`` + ``label`` + ``detected_at``, as
    from ``signal_features`` joined to labels) split at ``split_at``.

    Metrics come from a fit on the rows before ``split_at`` scored on the rows after; the
    returned estimator is then refit on every labelled row. ``champion`` (the model in use) is
    scored on the same held-out rows (``champion_precision``/``champion_recall``), so
    ``beats_champion`` can compare like with like.

    Raises ``NotEnoughHistory`` when either side of the split is too small to mean anything.
    """
    labelled = rows.filter(pl.col("label").is_not_null()).sort("detected_at")
    train = labelled.filter(pl.col("detected_at") < split_at)
    test = labelled.filter(pl.col("detected_at") >= split_at)
    for name, part in (("training", train), ("test", test)):
        positives = int(part["label"].sum() or 0)
        fewest = min(positives, part.height - positives)
        if part.height < MIN_ROWS[name] or fewest < MIN_PER_CLASS:
            raise NotEnoughHistory(
                f"{name} period has {part.height} labelled signals ({positives} positive); "
                f"need {MIN_ROWS[name]}+ with {MIN_PER_CLASS}+ of each class. Keep collecting "
                "observations (labels need 14 days of hindsight) and retrain next week."
            )
    with threadpool_limits(limits=1, user_api="openmp"):
        model = _train(labelled, train, test, split_at, threshold, seed)
        if champion is not None:
            x_test = test.select(FEATURES).to_numpy()
            held_out = champion.predict_proba(x_test)[:, 1] >= threshold
            scores = _scores(test["label"].to_numpy(), held_out)
            model.metrics.update({f"champion_{k}": v for k, v in scores.items()})
        return model


def beats_champion(metrics: dict) -> tuple[bool, str]:
    """Champion/challenger: a new model replaces the current detector only if its precision
    and recall on the held-out weeks are at least those of the rules alone and of the current
    model (when there is one). Returns the decision and a sentence saying why."""
    if metrics["roc_auc"] < MIN_ROC_AUC:
        return False, (
            f"held-out ROC AUC {metrics['roc_auc']:.3f} is below {MIN_ROC_AUC}: it ranks signals "
            "little better than chance; the current detector stays"
        )
    rivals = ["rules"] + (["champion"] if "champion_precision" in metrics else [])
    for rival in rivals:
        for figure in ("precision", "recall"):
            mine, theirs = metrics[f"model_{figure}"], metrics[f"{rival}_{figure}"]
            if mine < theirs:
                who = "the rules alone" if rival == "rules" else "the current model"
                return False, (
                    f"held-out {figure} {mine:.3f} is below {who} ({theirs:.3f}); "
                    "the current detector stays"
                )
    return True, "held-out precision and recall at least those of " + " and ".join(
        "the rules alone" if rival == "rules" else "the current model" for rival in rivals
    )


def _train(
    labelled: pl.DataFrame,
    train: pl.DataFrame,
    test: pl.DataFrame,
    split_at: dt.datetime,
    threshold: float,
    seed: int,
) -> TrainedModel:
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import roc_auc_score

    train = _mixed(train, seed)
    x_train = _fit_matrix(train)
    y_train = train["label"].to_numpy()
    estimator = _classifier(seed).fit(x_train, y_train)

    x_test = test.select(FEATURES).to_numpy()
    y_test = test["label"].to_numpy()
    probability = estimator.predict_proba(x_test)[:, 1]
    top = np.argsort(-probability)[:TOP_K]
    importance = permutation_importance(
        estimator, x_test, y_test, scoring="roc_auc", n_repeats=3, random_state=seed
    )
    ranked = sorted(zip(FEATURES, importance.importances_mean, strict=True), key=lambda kv: -kv[1])
    metrics = {
        "roc_auc": float(roc_auc_score(y_test, probability)),
        "threshold": threshold,
        **{f"model_{k}": v for k, v in _scores(y_test, probability >= threshold).items()},
        **{f"rules_{k}": v for k, v in _scores(y_test, _rules_predict(test)).items()},
        "precision_at_20": float(y_test[top].mean()),
        "training_rows": train.height,
        "training_positives": int(y_train.sum()),
        "test_rows": test.height,
        "test_positives": int(y_test.sum()),
        "split_at": split_at.isoformat(),
        "feature_importances": {name: round(float(value), 4) for name, value in ranked},
    }
    # measured on the future it had not seen; what ships also learns from that future
    labelled = _mixed(labelled, seed)
    final = _classifier(seed).fit(_fit_matrix(labelled), labelled["label"].to_numpy())
    return TrainedModel(estimator=final, threshold=threshold, metrics=metrics)


def _mixed(rows: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Rows in a seeded random order: the calibration folds are taken in row order, and a fold
    of only the oldest signals can lack a feature that needs weeks of history (trend_growth_28d),
    which HistGradientBoosting cannot fit."""
    return rows.sample(fraction=1.0, shuffle=True, seed=seed)


def _fit_matrix(rows: pl.DataFrame) -> np.ndarray:
    """``FEATURES`` as a matrix; a feature with fewer than ``MIN_PRESENT`` values (a short
    history, a signal type that almost never fired) is 0 throughout: HistGradientBoosting
    cannot bin a column that is all missing in one calibration fold ("window shape cannot be
    larger than input array shape"), and so few values teach it nothing anyway."""
    matrix = rows.select(FEATURES).to_numpy().astype(np.float64)
    rare = (~np.isnan(matrix)).sum(axis=0) < MIN_PRESENT
    matrix[:, rare] = 0.0
    return matrix


def _classifier(seed: int) -> "CalibratedClassifierCV":
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

    base = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.08,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        random_state=seed,
    )
    # isotonic calibration on 3 folds: probabilities a promoter can read as "x in 10"
    return CalibratedClassifierCV(base, method="isotonic", cv=3)


def predict_probability(estimator: "CalibratedClassifierCV", features: pl.DataFrame) -> pl.Series:
    """Probability per row of ``features`` (``FEATURES`` columns), as ``probability``.

    OpenMP is held to one thread: beside polars' pool, sklearn's threads oversubscribe the
    cores and a one-second fit takes a minute.
    """
    if features.is_empty():
        return pl.Series("probability", [], dtype=pl.Float64)
    with threadpool_limits(limits=1, user_api="openmp"):
        values = estimator.predict_proba(features.select(FEATURES).to_numpy())[:, 1]
    return pl.Series("probability", values, dtype=pl.Float64)
