"""The demand model store: skops files under PROMOTEROS_HOME/models, their sha256 recorded in
``promoteros.demand_models``. As for the viral model, never pickle: a file loads only if it
is inside the store directory, its hash is one we recorded, and every type it would build is
trusted; anything else raises ``UntrustedModelError`` before any of it runs."""

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from promoteros_pipelines.defs.analytics.model_store import UntrustedModelError, default_model_dir
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
    import skops.io as sio

    directory = (directory or default_model_dir()).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    data = sio.dumps(_payload(model), compression=8)
    digest = hashlib.sha256(data).hexdigest()
    version = f"{now:%Y%m%dT%H%M%SZ}-{digest[:8]}"
    path = directory / f"demand-{version}.skops"
    path.write_bytes(data)
    warehouse.execute(
        f"INSERT INTO {warehouse.qualified(TABLE)} (version, created_at, path, sha256, metrics)"
        " VALUES (%s, %s, %s, %s, %s::jsonb)",
        (version, now, str(path), digest, json.dumps(metrics, default=str)),
    )
    return version, path


def load_demand_model(
    warehouse: PostgresWarehouse, path: Path, directory: Path | None = None
) -> DemandModel:
    """Load the model at ``path`` after the three checks in the module docstring."""
    import skops.io as sio

    directory = (directory or default_model_dir()).resolve()
    path = Path(path).resolve()
    if not path.is_relative_to(directory):
        raise UntrustedModelError(f"{path} is outside the model store {directory}; refused.")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    recorded = warehouse.read_frame(
        f"SELECT version FROM {warehouse.qualified(TABLE)} WHERE sha256 = $1", [digest]
    )
    if recorded.is_empty():
        raise UntrustedModelError(
            f"{path.name} (sha256 {digest[:12]}...) is not a demand model this project wrote, "
            "or it was modified after writing; refusing to load it."
        )
    unknown = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
    if unknown:
        raise UntrustedModelError(f"{path.name} contains untrusted types {unknown}; refused.")
    payload = sio.loads(data, trusted=TRUSTED_TYPES)
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
