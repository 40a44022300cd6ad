"""The demand model store loads only files it wrote, unchanged, from its own directory."""

import numpy as np
import polars as pl
import pytest
import skops.io as sio

from promoteros_pipelines.defs.ticketing.demand_store import (
    UntrustedModelError,
    load_demand_model,
    save_demand_model,
)
from promoteros_pipelines.domain import ticketing_demand as demand


@pytest.fixture(scope="module")
def model() -> demand.DemandModel:
    rng = np.random.default_rng(0)
    n = 300
    frame = {column: rng.normal(size=n) for column in demand.FEATURES}
    noise = rng.normal(0, 0.1, n)
    frame[demand.TARGET] = np.clip(0.5 + 0.1 * frame["log_followers_spotify"] + noise, 0, 1)
    frame[demand.TARGET][:20] = 1.0
    frame["venue_id"] = rng.integers(1, 5, n)
    return demand.fit(pl.DataFrame(frame), demand.FEATURES)


def test_a_saved_model_loads_back_and_predicts_the_same(warehouse, tmp_path, model):
    _, path = save_demand_model(warehouse, model, {"mae": 0.1}, tmp_path)
    loaded = load_demand_model(warehouse, path, tmp_path)
    shows = pl.DataFrame({c: [0.5, -1.0] for c in demand.FEATURES} | {"venue_id": [1, 99]})
    assert demand.predict(loaded, shows).equals(demand.predict(model, shows))


def test_a_file_it_did_not_write_is_refused(warehouse, tmp_path, model):
    stranger = tmp_path / "demand-stranger.skops"
    stranger.write_bytes(sio.dumps({"regressor": None}))
    with pytest.raises(UntrustedModelError, match="not a demand model this project wrote"):
        load_demand_model(warehouse, stranger, tmp_path)


def test_a_modified_or_misplaced_file_is_refused(warehouse, tmp_path, model):
    _, path = save_demand_model(warehouse, model, {}, tmp_path / "store")
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(UntrustedModelError, match="modified after writing"):
        load_demand_model(warehouse, path, tmp_path / "store")
    with pytest.raises(UntrustedModelError, match="outside the model store"):
        load_demand_model(warehouse, path, tmp_path / "elsewhere")
