"""The booking score's plain-English explanation, one sentence per scored pair (polars)."""

import polars as pl


def _count(expr: pl.Expr) -> pl.Expr:
    """A whole number with thousands separators, as text."""
    # reversed, a comma after every three digits, reversed back (no Python per row)
    return (
        expr.round(0)
        .cast(pl.Int64)
        .cast(pl.String)
        .str.reverse()
        .str.replace_all(r"(\d{3})", "$1,")
        .str.reverse()
        .str.strip_chars_start(",")
        .str.replace("-,", "-", literal=True)
    )


def explanation() -> pl.Expr:
    """One plain-English sentence per pair, strongest evidence first."""
    ratio = pl.col("expected_attendance") / pl.col("capacity")
    room = (
        pl.when(ratio < 0.5)
        .then(pl.lit("too few to fill"))
        .when(ratio < 0.9)
        .then(pl.lit("a stretch to fill"))
        .when(ratio <= 3)
        .then(pl.lit("a good fit for"))
        .otherwise(pl.lit("far more than"))
    )
    parts = [
        pl.format("Score {} for {} at {}", pl.col("score"), pl.col("name"), pl.col("venue_name")),
        pl.format(
            "{} listeners in the {} market, so about {} tickets, {} its {} capacity",
            _count(pl.col("market_listeners")),
            pl.col("venue_city"),
            _count(pl.col("expected_attendance")),
            room,
            _count(pl.col("capacity")),
        ),
        pl.when(pl.col("genre") >= 0.6)
        .then(pl.lit("the genre suits the room"))
        .when(pl.col("genre") > 0)
        .then(pl.lit("the genre is close to the room's"))
        .otherwise(pl.lit("the genre is not one the room books")),
        pl.when(pl.col("momentum_score").is_null())
        .then(pl.lit("no momentum score yet"))
        .otherwise(
            pl.format(
                "momentum {} ({} over 14 days)",
                pl.col("momentum_score").round(0).cast(pl.Int64),
                pl.when(pl.col("momentum_trend").fill_null(0) >= 0)
                .then(
                    pl.format(
                        "up {}", pl.col("momentum_trend").fill_null(0).round(0).cast(pl.Int64)
                    )
                )
                .otherwise(
                    pl.format("down {}", (-pl.col("momentum_trend")).round(0).cast(pl.Int64))
                ),
            )
        ),
        pl.when(pl.col("announced_in_market").fill_null(False))
        .then(pl.lit("a show in this market is already announced"))
        .when(pl.col("days_since_market_show").is_null())
        .then(pl.lit("has not played this market before"))
        .otherwise(
            pl.format("last played this market {} days ago", pl.col("days_since_market_show"))
        ),
        pl.when(pl.col("routing") > 0)
        .then(
            pl.format(
                "plays {} ({} km away) on {} and the room is free on {}",
                pl.col("routing_city"),
                pl.col("routing_km").round(0).cast(pl.Int64),
                pl.col("routing_date"),
                pl.col("open_date"),
            )
        )
        .otherwise(pl.lit("no tour date nearby with an open date here")),
        pl.when(pl.col("viral") > 0)
        .then(pl.format("went viral {} days ago", pl.col("viral_age_days")))
        .otherwise(None),
    ]
    return pl.concat_str(
        pl.concat_str(parts[:2], separator=": "), *parts[2:], separator="; ", ignore_nulls=True
    ) + pl.lit(".")
