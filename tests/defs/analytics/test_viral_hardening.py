"""viral_signals sets glitches aside in observation_glitches; viral_model retries and a
failure files a system alert."""

import datetime as dt

import polars as pl
import pytest
from dagster import materialize

from promoteros_pipelines.defs.analytics.viral import viral_model, viral_signals
from promoteros_pipelines.domain.analytics.schema import OBSERVATION_SCHEMA
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.defs.analytics.test_analytics import AS_OF, loaded  # noqa: F401


def test_a_one_sample_glitch_is_recorded_and_fires_nothing(loaded: PostgresWarehouse, tmp_path):  # noqa: F811
    hours = [AS_OF - dt.timedelta(hours=6 * k) for k in range(12, -1, -1)]
    values = [50_000.0 + 10 * i for i in range(len(hours))]
    values[4] = 500.0  # one reading at 1%, 48h before AS_OF: the 24h comparison point later
    rows = pl.DataFrame(
        {
            "artist_id": 1,
            "platform": "spotify",
            "metric": "followers",
            "observed_at": hours,
            "value": values,
        }
    ).cast(dict(OBSERVATION_SCHEMA))
    loaded.execute(
        "DELETE FROM promoteros.metric_observations WHERE artist_id = 1 AND platform = 'spotify'"
    )
    loaded.append("metric_observations", rows.select(OBSERVATION_SCHEMA.names()))
    config = {"as_of": AS_OF.isoformat(), "model_dir": str(tmp_path)}
    result = materialize(
        [viral_signals],
        resources={"warehouse": loaded},
        run_config={"ops": {"viral_signals": {"config": config}}},
    )
    assert result.success
    glitches = loaded.read_table("observation_glitches")
    assert glitches.select("artist_id", "platform", "value").rows() == [(1, "spotify", 500.0)]
    signals = loaded.read_table("viral_signals").filter(
        pl.col("artist_id") == 1, pl.col("platform") == "spotify"
    )
    assert signals.is_empty()
    metadata = result.asset_materializations_for_node("viral_signals")[0].metadata
    assert metadata["glitches_set_aside"].value == 1


@pytest.mark.parametrize("bad_as_of", ["next tuesday"])
def test_a_failing_model_run_retries_then_files_one_system_alert(
    warehouse: PostgresWarehouse, tmp_path, bad_as_of: str
):
    config = {"as_of": bad_as_of, "model_dir": str(tmp_path)}
    result = materialize(
        [viral_model],
        resources={"warehouse": warehouse},
        run_config={"ops": {"viral_model": {"config": config}}},
        raise_on_error=False,
    )
    assert not result.success
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 2
    alerts = warehouse.read_table("alerts")
    assert alerts["alert_type"].to_list() == ["system"]
    assert "viral_model failed" in alerts["subject"][0]
