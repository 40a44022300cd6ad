"""The viral model store: skops files under PROMOTEROS_HOME/models, their sha256 in the database.

Never pickle: a skops file is loaded only if (1) it sits inside the store directory, (2) its
sha256 is recorded in ``promoteros.viral_models`` (we wrote it), and (3) every type it would
build is on ``TRUSTED_TYPES`` or skops' own safe defaults. Anything else raises
``UntrustedModelError`` and nothing is executed.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promoteros_pipelines.domain.analytics.model.features import FEATURES
from promoteros_pipelines.domain.analytics.model.train import TrainedModel
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import promoteros_home

TABLE = "viral_models"
TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]
"""Types beyond skops' defaults that a model of ours contains (checked before loading)."""


class UntrustedModelError(RuntimeError):
    """A model file we did not write (or that changed since); it is refused, not loaded."""


@dataclass(frozen=True)
class LoadedModel:
    version: str
    estimator: Any
    features: list[str]
    threshold: float


def default_model_dir() -> Path:
    return promoteros_home() / "models"


def write_skops(
    warehouse: PostgresWarehouse,
    table: str,
    prefix: str,
    payload: dict[str, Any],
    metrics: dict[str, Any],
    directory: Path | None = None,
    now: dt.datetime | None = None,
) -> tuple[str, Path, str]:
    """Write ``payload`` as ``<prefix>-<version>.skops`` in the store and record its sha256 in
    ``table``; return (version, path, sha256). Shared by every model store of the project."""
    import skops.io as sio

    directory = (directory or default_model_dir()).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    data = sio.dumps(payload, compression=8)
    digest = hashlib.sha256(data).hexdigest()
    version = f"{now:%Y%m%dT%H%M%SZ}-{digest[:8]}"
    path = directory / f"{prefix}-{version}.skops"
    path.write_bytes(data)
    warehouse.execute(
        f"INSERT INTO {warehouse.qualified(table)} (version, created_at, path, sha256, metrics)"
        " VALUES (%s, %s, %s, %s, %s::jsonb)",
        (version, now, str(path), digest, json.dumps(metrics, default=str)),
    )
    return version, path, digest


def read_trusted_skops(
    warehouse: PostgresWarehouse,
    table: str,
    path: Path,
    trusted_types: list[str],
    *,
    what: str,
    retrain: str,
    directory: Path | None = None,
) -> tuple[dict[str, Any], str]:
    """(payload, version) of the skops file at ``path`` after the three checks in the module
    docstring; ``what`` names the model and ``retrain`` says what to do in refusals."""
    import skops.io as sio

    directory = (directory or default_model_dir()).resolve()
    path = Path(path).resolve()
    if not path.is_relative_to(directory):
        raise UntrustedModelError(
            f"{path} is outside the model store {directory}; models load only from the store."
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    recorded = warehouse.read_frame(
        f"SELECT version FROM {warehouse.qualified(table)} WHERE sha256 = $1", [digest]
    )
    if recorded.is_empty():
        raise UntrustedModelError(
            f"{path.name} (sha256 {digest[:12]}...) is not a {what} this project wrote, or it "
            f"was modified after writing; refusing to load it. {retrain}"
        )
    unknown = sorted(set(sio.get_untrusted_types(data=data)) - set(trusted_types))
    if unknown:
        raise UntrustedModelError(f"{path.name} contains untrusted types {unknown}; refused.")
    return sio.loads(data, trusted=trusted_types), recorded["version"][0]


def save_model(
    warehouse: PostgresWarehouse,
    model: TrainedModel,
    directory: Path | None = None,
    *,
    now: dt.datetime | None = None,
) -> tuple[str, Path, str]:
    """Write ``model`` as a skops file and record it; return (version, path, sha256)."""
    payload = {"estimator": model.estimator, "features": FEATURES, "threshold": model.threshold}
    return write_skops(warehouse, TABLE, "viral", payload, model.metrics, directory, now)


def load_model(
    warehouse: PostgresWarehouse, path: Path, directory: Path | None = None
) -> LoadedModel:
    """Load the model at ``path`` after the three checks in the module docstring."""
    payload, version = read_trusted_skops(
        warehouse,
        TABLE,
        path,
        TRUSTED_TYPES,
        what="model",
        retrain="Retrain with the viral_model asset.",
        directory=directory,
    )
    if payload.get("features") != FEATURES:
        raise UntrustedModelError(
            f"{Path(path).name} was trained on other features; retrain with the viral_model asset."
        )
    return LoadedModel(
        version=version,
        estimator=payload["estimator"],
        features=list(payload["features"]),
        threshold=float(payload["threshold"]),
    )


def load_latest(warehouse: PostgresWarehouse, directory: Path | None = None) -> LoadedModel | None:
    """The newest recorded model, or None when none has been trained yet."""
    latest = warehouse.read_frame(
        f"SELECT path FROM {warehouse.qualified(TABLE)} ORDER BY created_at DESC LIMIT 1"
    )
    if latest.is_empty():
        return None
    return load_model(warehouse, Path(latest["path"][0]), directory)
