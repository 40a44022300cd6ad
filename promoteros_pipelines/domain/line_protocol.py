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


SALES_MEASUREMENT = "ticket_sales"


def _tag_safe(values: pl.Series) -> dict[str, str]:
    """Percent-encode ids for use as tag values (no comma, equals sign or space can then
    break a line); ``urllib.parse.unquote`` gives the id back."""
    from urllib.parse import quote

    return {value: quote(value, safe="-_.:") for value in values.unique().to_list()}


def sales_lines(points: pl.DataFrame) -> pl.Series:
    """Line-protocol lines for ticket sales points (show_id, venue_id, organisation_id,
    observed_at, tickets_sold, gross, capacity, velocity_per_hour), one line per point:
    ``ticket_sales,show_id=tm-1,venue_id=3,organisation_id=1 tickets_sold=250,gross=5000,
    sell_through=0.25,velocity_per_hour=12.5 1763719200``. Unknown venue or organisation: no
    such tag; no gross or velocity (the first point of a show): no such field."""
    if points.is_empty():
        return pl.Series("line", [], dtype=pl.String)
    encoded = _tag_safe(points["show_id"].cast(pl.String))

    def field(name: str, value: pl.Expr) -> pl.Expr:
        finite = value.cast(pl.Float64)
        return pl.when(finite.is_finite()).then(pl.format(f"{name}={{}}", finite.cast(pl.String)))

    def tag(name: str) -> pl.Expr:
        return pl.format(f",{name}={{}}", pl.col(name).cast(pl.String))

    return points.select(
        pl.format(
            "{},show_id={}{} {} {}",
            pl.lit(SALES_MEASUREMENT),
            pl.col("show_id").cast(pl.String).replace_strict(encoded),
            pl.concat_str([tag("venue_id"), tag("organisation_id")], ignore_nulls=True),
            pl.concat_str(
                [
                    field("tickets_sold", pl.col("tickets_sold")),
                    field("gross", pl.col("gross")),
                    field("sell_through", pl.col("tickets_sold") / pl.col("capacity")),
                    field("velocity_per_hour", pl.col("velocity_per_hour")),
                ],
                separator=",",
                ignore_nulls=True,
            ),
            pl.col("observed_at").dt.epoch("s"),
        ).alias("line")
    ).to_series()
