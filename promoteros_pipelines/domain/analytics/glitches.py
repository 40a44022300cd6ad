"""One-sample glitches: a value that departs and comes back within one sample.

A collector that briefly reads 1% of a follower count (or a counter) makes, 24h later, a
+9,900% "spike" against that reading, and the dip itself makes likes per follower explode. An
observation is a glitch when it differs from the previous observation of its series by more
than ``GLITCH_FACTOR`` (either way) and the next observation is back within ``RETURN_TOLERANCE``
of the previous one. Glitches are excluded from daily features, baselines and the 24h ratios,
and recorded (``observation_glitches``) so a person can see what was set aside.

A glitch is recognisable only once the next observation has arrived; until then the departing
value is treated as data (a drop makes no spike, and engagement rates use the larger of the
current and the baseline follower count, so a dip cannot inflate them).
"""

import polars as pl

from promoteros_pipelines.domain.analytics.schema import Frame, as_lazy

GLITCH_FACTOR = 2.0
RETURN_TOLERANCE = 0.25
SERIES = ["artist_id", "platform", "metric"]
GLITCH_SCHEMA = pl.Schema(
    {
        "artist_id": pl.Int64(),
        "platform": pl.Utf8(),
        "metric": pl.Utf8(),
        "observed_at": pl.Datetime("us", "UTC"),
        "value": pl.Float64(),
        "value_before": pl.Float64(),
        "value_after": pl.Float64(),
    }
)


def _marked(observations: Frame) -> pl.LazyFrame:
    # in time order: ``over`` keeps each series' rows in frame order, so one integer sort key
    # is enough (sorting by the text columns too took 40% longer, measured at 4M rows)
    lf = as_lazy(observations).sort("observed_at")
    before = pl.col("value").shift(1).over(SERIES)
    after = pl.col("value").shift(-1).over(SERIES)
    departs = (pl.col("value") > GLITCH_FACTOR * before) | (
        pl.col("value") * GLITCH_FACTOR < before
    )
    returns = (after - before).abs() <= RETURN_TOLERANCE * before
    return lf.with_columns(
        _glitch=(departs & returns & (before > 0)).fill_null(False),
        _before=before,
        _after=after,
    )


def find_glitches(observations: Frame) -> pl.LazyFrame:
    """The glitched observations (``GLITCH_SCHEMA``), with their neighbours' values."""
    return (
        _marked(observations)
        .filter("_glitch")
        .select(
            *SERIES,
            "observed_at",
            "value",
            value_before=pl.col("_before"),
            value_after=pl.col("_after"),
        )
        .cast(GLITCH_SCHEMA)
    )


def without_glitches(observations: Frame) -> pl.LazyFrame:
    """``observations`` minus the glitched rows (same columns)."""
    lf = as_lazy(observations)
    names = lf.collect_schema().names()
    return _marked(lf).filter(~pl.col("_glitch")).select(names)
