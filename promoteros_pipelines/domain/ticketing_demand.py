"""The demand model: a show's final sell-through from what is known when it goes on sale.

Features (``FEATURES``) are the artist's audience per platform and its 28-day momentum, past
viral episodes, the artist's listeners in the venue's city (the "audience by city" a
promoter reads), those listeners per seat and projected to the show date at the current
momentum, the artist's other announced dates in the same city in the 120 days before, genre
fit with the venue, capacity, price against the venue's usual price, weekday, season and days
on sale. ``early_feature(days)`` adds the share sold ``days`` after on-sale, for the update
once sales begin (``EARLY_DAYS``). Two baselines say whether the model earns its keep: the
venue's historical mean and the artist tier's mean (tiers: quartiles of Spotify followers in
the training shows). The sell-out probability comes from a classifier when the training
shows include sell-outs, else from their base rate.

Pure scikit-learn / polars / numpy: no database, no Dagster.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

PLATFORMS = ("spotify", "youtube", "tiktok", "instagram")
FEATURES = [
    *(f"log_followers_{p}" for p in PLATFORMS),
    "momentum_spotify",
    "momentum_tiktok",
    "viral_episodes",
    "log_market_listeners",
    "log_market_per_seat",
    "log_market_at_show",
    "recent_dates_nearby",
    "genre_fit",
    "log_capacity",
    "price_ratio",
    "weekday",
    "season_sin",
    "season_cos",
    "days_on_sale",
]
EARLY_DAYS = (7, 14)


def early_feature(days: int) -> str:
    """The column holding the share of capacity sold ``days`` after on-sale."""
    return f"share_after_{days}_days"


EARLY_FEATURE = early_feature(7)
TARGET = "final_sell_through"
SOLD_OUT = 0.999


@dataclass
class DemandModel:
    """A fitted regressor (final share), classifier (sells out) and the baselines' tables."""

    regressor: Any
    classifier: Any | None
    base_rate: float
    features: list[str]
    venue_means: dict[int, float]
    tier_edges: list[float]
    tier_means: dict[int, float]
    global_mean: float
    importances: dict[str, float] = field(default_factory=dict)


def tiers(followers: pl.Series, edges: list[float]) -> np.ndarray:
    return np.searchsorted(np.asarray(edges), followers.fill_null(0).to_numpy(), side="right")


def fit(train: pl.DataFrame, features: list[str], seed: int = 0) -> DemandModel:
    """Fit on ``train`` (``features`` + ``TARGET``, ``venue_id``, ``log_followers_spotify``)."""
    # loaded on first use: the code location must load without scikit-learn
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    x = train.select(features).to_numpy()
    y = train[TARGET].to_numpy()
    regressor = HistGradientBoostingRegressor(
        max_iter=300,
        learning_rate=0.05,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        random_state=seed,
    ).fit(x, y)
    sold_out = y >= SOLD_OUT
    classifier = None
    if 5 <= sold_out.sum() < len(y) - 5:
        classifier = HistGradientBoostingClassifier(max_iter=150, random_state=seed).fit(
            x, sold_out
        )
    edges = list(np.quantile(train["log_followers_spotify"].to_numpy(), [0.25, 0.5, 0.75]))
    tier = tiers(train["log_followers_spotify"], edges)
    frame = train.with_columns(pl.Series("tier", tier))
    return DemandModel(
        regressor=regressor,
        classifier=classifier,
        base_rate=float(sold_out.mean()),
        features=features,
        venue_means=dict(frame.group_by("venue_id").agg(pl.col(TARGET).mean()).iter_rows()),
        tier_edges=edges,
        tier_means=dict(frame.group_by("tier").agg(pl.col(TARGET).mean()).iter_rows()),
        global_mean=float(y.mean()),
        importances=_importances(regressor, x, y, features, seed),
    )


def _importances(model: Any, x: np.ndarray, y: np.ndarray, names: list[str], seed: int) -> dict:
    from sklearn.inspection import permutation_importance

    sample = np.random.default_rng(seed).choice(len(y), size=min(len(y), 400), replace=False)
    result = permutation_importance(model, x[sample], y[sample], n_repeats=3, random_state=seed)
    ranked = sorted(zip(names, result.importances_mean, strict=True), key=lambda p: -p[1])
    return {name: round(float(value), 4) for name, value in ranked}


def predict(model: DemandModel, shows: pl.DataFrame) -> pl.DataFrame:
    """``shows`` with ``predicted``, ``sellout_probability``, ``baseline_venue`` and
    ``baseline_tier`` (predictions clipped to [0, 1])."""
    x = shows.select(model.features).to_numpy()
    predicted = np.clip(model.regressor.predict(x), 0.0, 1.0)
    if model.classifier is not None:
        probability = model.classifier.predict_proba(x)[:, 1]
    else:
        probability = np.full(len(predicted), model.base_rate)
    tier = tiers(shows["log_followers_spotify"], model.tier_edges)
    return shows.with_columns(
        pl.Series("predicted", predicted),
        pl.Series("sellout_probability", probability),
        pl.Series(
            "baseline_venue",
            [model.venue_means.get(v, model.global_mean) for v in shows["venue_id"].to_list()],
        ),
        pl.Series("baseline_tier", [model.tier_means.get(int(t), model.global_mean) for t in tier]),
    )


def scores(predicted: pl.DataFrame) -> dict[str, float | int]:
    """MAE of the model and both baselines, R², and the Brier score of "sells out"."""
    y = predicted[TARGET].to_numpy()

    def mae(column: str) -> float:
        return round(float(np.mean(np.abs(predicted[column].to_numpy() - y))), 4)

    residual = float(np.sum((predicted["predicted"].to_numpy() - y) ** 2))
    total = float(np.sum((y - y.mean()) ** 2)) or 1.0
    sold_out = (y >= SOLD_OUT).astype(float)
    brier = float(np.mean((predicted["sellout_probability"].to_numpy() - sold_out) ** 2))
    return {
        "mae": mae("predicted"),
        "baseline_venue_mae": mae("baseline_venue"),
        "baseline_tier_mae": mae("baseline_tier"),
        "r2": round(1 - residual / total, 4),
        "brier": round(brier, 4),
        "shows": int(predicted.height),
    }


def market_features(frame: pl.DataFrame) -> pl.DataFrame:
    """The market columns of ``FEATURES`` from ``market_listeners`` (the artist's listeners
    in the venue's city, as known at on-sale; null: none reported), ``capacity``,
    ``momentum_spotify``, ``days_on_sale`` and ``recent_dates`` (the artist's other announced
    dates in the same city in the 120 days before the show).

    Listeners per seat is what a promoter weighs first (a room too big for the local audience
    stays half empty); projecting them to the show date at the current momentum credits a
    rising act with the fans it will have by then.
    """
    listeners = pl.col("market_listeners").fill_null(0).cast(pl.Float64)
    return frame.with_columns(
        listeners.log1p().alias("log_market_listeners"),
        ((listeners + 1) / pl.col("capacity")).log().alias("log_market_per_seat"),
        (
            (listeners + 1).log()
            + pl.col("momentum_spotify").fill_null(0) * pl.col("days_on_sale") / 28
        ).alias("log_market_at_show"),
        pl.col("recent_dates").fill_null(0).cast(pl.Float64).alias("recent_dates_nearby"),
    )
