"""InfluxDB line protocol for metric observations (pure polars, no I/O).

One line per (artist, platform, observed_at) with every metric of that observation as a field:
``artist_metrics,artist_id=42,platform=tiktok followers=1200,likes=88000 1763719200``.
Tag values here are integers and fixed platform names, so no escaping is needed; the
measurement and platform are validated rather than escaped.
"""

import polars as pl

PLATFORMS = frozenset({"spotify", "youtube", "tiktok", "instagram", "bandsintown"})


def observation_lines(observations: pl.DataFrame, measurement: str) -> pl.Series:
    """Line-protocol lines for ``observations`` (artist_id, platform, metric, observed_at,
    value), in the frame's order of first appearance of each point."""
    unknown = set(observations["platform"].unique().to_list()) - PLATFORMS
    if unknown:
        raise ValueError(f"unknown platform(s) {sorted(unknown)} in observations")
    field = pl.format("{}={}", pl.col("metric"), pl.col("value").cast(pl.Float64).cast(pl.String))
    return (
        observations.with_columns(field.alias("field"))
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
