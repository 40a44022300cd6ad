"""InfluxDB line protocol for metric observations (pure polars, no I/O).

One line per (artist, platform, observed_at) with every metric of that observation as a field:
``artist_metrics,artist_id=42,platform=tiktok followers=1200,likes=88000 1763719200``.
Tag values here are integers and fixed platform names, so no escaping is needed; the
measurement and platform are validated rather than escaped, and metric names (field keys)
must be plain identifiers. Line protocol has no NaN or infinity: such values are left out
(a point with no finite value is no line at all), because one unparseable line makes InfluxDB
refuse the whole batch, and the mirror would then retry that batch forever.
"""

import re

import polars as pl

_FIELD_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PLATFORMS = frozenset({"spotify", "youtube", "tiktok", "instagram", "bandsintown"})


def observation_lines(observations: pl.DataFrame, measurement: str) -> pl.Series:
    """Line-protocol lines for ``observations`` (artist_id, platform, metric, observed_at,
    value), in the frame's order of first appearance of each point."""
    unknown = set(observations["platform"].unique().to_list()) - PLATFORMS
    if unknown:
        raise ValueError(f"unknown platform(s) {sorted(unknown)} in observations")
    metrics = observations["metric"].unique().to_list()
    invalid = sorted(m for m in metrics if not _FIELD_KEY.fullmatch(m))
    if invalid:
        raise ValueError(f"metric name(s) {invalid} cannot be line-protocol field keys")
    value = pl.col("value").cast(pl.Float64)
    field = pl.format("{}={}", pl.col("metric"), value.cast(pl.String))
    return (
        observations.filter(value.is_finite())
        .with_columns(field.alias("field"))
        .group_by(["artist_id", "platform", "observed_at"], maintain_order=True)
        .agg(pl.col("field").str.join(","))
        .select(
            pl.format(
                "{},artist_id={},platform={} {} {}",
                pl.lit(measurement),
                pl.col("artist_id"),
                pl.col("platform"),
                pl.col("field"),
                pl.col("observed_at").dt.epoch("s"),
            ).alias("line")
        )
        .to_series()
    )
