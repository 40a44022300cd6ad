"""The demand model store: skops files under PROMOTEROS_HOME/models, their sha256 recorded in
``promoteros.demand_models``. As for the viral model, never pickle: a file loads only if it
is inside the store directory, its hash is one we recorded, and every type it would build is
trusted; anything else raises ``UntrustedModelError`` before any of it runs."""

import datetime as dt
from pathlib import Path
from typing import Any

from promoteros_pipelines.defs.analytics.model_store import (
    UntrustedModelError,
    read_trusted_skops,
    write_skops,
)
from promoteros_pipelines.domain.ticketing_demand import DemandModel
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

TABLE = "demand_models"
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
"""Types beyond skops' safe defaults that a demand model contains (checked before loading)."""

__all__ = ["UntrustedModelError", "load_demand_model", "save_demand_model"]


def _payload(model: DemandModel) -> dict[str, Any]:
    return {
        "regressor": model.regressor,
        "classifier": model.classifier,
        "base_rate": model.base_rate,
        "features": list(model.features),
        "venue_means": {str(k): v for k, v in model.venue_means.items()},
        "tier_edges": [float(e) for e in model.tier_edges],
        "tier_means": {str(k): v for k, v in model.tier_means.items()},
        "global_mean": model.global_mean,
    }


def save_demand_model(
    warehouse: PostgresWarehouse,
    model: DemandModel,
    metrics: dict[str, Any],
    directory: Path | None = None,
    *,
    now: dt.datetime | None = None,
) -> tuple[str, Path]:
    """Write ``model`` as a skops file and record its hash; return (version, path)."""
    version, path, _ = write_skops(
        warehouse, TABLE, "demand", _payload(model), metrics, directory, now
    )
    return version, path


def load_demand_model(
    warehouse: PostgresWarehouse, path: Path, directory: Path | None = None
) -> DemandModel:
    """Load the model at ``path`` after the three checks in the module docstring."""
    payload, _ = read_trusted_skops(
        warehouse,
        TABLE,
        path,
        TRUSTED_TYPES,
        what="demand model",
        retrain="Retrain with the demand_model asset.",
        directory=directory,
    )
    return DemandModel(
        regressor=payload["regressor"],
        classifier=payload["classifier"],
        base_rate=float(payload["base_rate"]),
        features=list(payload["features"]),
        venue_means={int(k): float(v) for k, v in payload["venue_means"].items()},
        tier_edges=list(payload["tier_edges"]),
        tier_means={int(k): float(v) for k, v in payload["tier_means"].items()},
        global_mean=float(payload["global_mean"]),
    )
