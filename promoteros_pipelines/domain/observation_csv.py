"""A metric history as a CSV file: its columns, and the checks every row passes before any loads.

One row per observation: ``platform, external_id, artist_name, metric, value, observed_at``.
Line numbers are the file's (the header is line 1), so an error points at the line to fix.
Shared by ``promoteros load observations`` and the evaluation of a history (pure polars: the
caller scans the file, these functions say what each row means and what is wrong with it).
"""

from collections.abc import Sequence

import polars as pl

COLUMNS = ("platform", "external_id", "artist_name", "metric", "value", "observed_at")
# The warehouse's vocabulary (migration 0001's CHECK constraints on metric_observations).
PLATFORMS = ("spotify", "youtube", "tiktok", "instagram", "bandsintown")
METRICS = ("followers", "views", "likes", "comments", "shares", "posts", "popularity")
KEY = ("platform", "external_id", "metric", "observed_at")
FIRST_DATA_LINE = 2
PROBLEMS_SHOWN = 10

UTC = pl.Datetime("us", "UTC")
# Checked rows name only these: as enums they sort and join as small integers.
PLATFORM = pl.Enum(PLATFORMS)
METRIC = pl.Enum(METRICS)


class ObservationFileError(ValueError):
    """The file cannot be loaded as it is; the message names the lines and what to fix."""


def missing_columns(header: Sequence[str]) -> list[str]:
    """Required columns the header lacks (names compare trimmed and case-insensitively)."""
    present = {name.strip().lower() for name in header}
    return [name for name in COLUMNS if name not in present]


def header_renames(header: Sequence[str]) -> dict[str, str]:
    """Header spelling -> canonical column name, for headers like ``Platform`` or `` value``."""
    return {name: name.strip().lower() for name in header if name != name.strip().lower()}


# Tried in order, each only on the rows the previous ones could not read: the first is the
# common case and polars' fast path; offsets and fractions go through the general parser.
TIMESTAMP_FORMATS = (
    ("%Y-%m-%dT%H:%M:%SZ", True),
    ("%Y-%m-%dT%H:%M:%S%.f%z", True),
    ("%Y-%m-%dT%H:%M:%S%.f", False),
)


def parse_timestamps(text: pl.Series) -> pl.Series:
    """ISO 8601 with an offset (``Z``, ``+02:00``), or without one (read as UTC), as UTC
    datetimes; null where the text is none of these."""
    iso = text.str.replace(r"z$", "Z").str.replace(" ", "T", literal=True)
    parsed = pl.Series(text.name, [None] * len(text), dtype=UTC)
    for pattern, has_zone in TIMESTAMP_FORMATS:
        todo = (parsed.is_null() & iso.is_not_null()).arg_true()
        if todo.is_empty():
            break
        subset = iso.gather(todo)
        if "%z" in pattern:
            subset = subset.str.replace(r"Z$", "+00:00")
        if has_zone:
            values = subset.str.strptime(UTC, pattern, strict=False)
        else:
            values = subset.str.strptime(pl.Datetime("us"), pattern, strict=False)
            values = values.dt.replace_time_zone("UTC")
        parsed = parsed.scatter(todo, values)
    return parsed


def _problem(parsed_value: pl.Expr, parsed_at: pl.Expr) -> pl.Expr:
    """The first thing wrong with a row, in words; null when the row is fine."""
    platform, metric = pl.col("platform"), pl.col("metric")
    quoted = {name: pl.concat_str(pl.lit("'"), pl.col(name), pl.lit("'")) for name in COLUMNS}
    return (
        pl.when(platform.is_null())
        .then(pl.lit("platform is empty"))
        .when(~platform.is_in(PLATFORMS))
        .then(
            pl.concat_str(
                pl.lit("platform "), quoted["platform"], pl.lit(f" is not one of {PLATFORMS}")
            )
        )
        .when(pl.col("external_id").is_null())
        .then(pl.lit("external_id is empty"))
        .when(metric.is_null())
        .then(pl.lit("metric is empty"))
        .when(~metric.is_in(METRICS))
        .then(
            pl.concat_str(pl.lit("metric "), quoted["metric"], pl.lit(f" is not one of {METRICS}"))
        )
        .when(pl.col("value").is_null())
        .then(pl.lit("value is empty"))
        .when(parsed_value.is_null())
        .then(pl.concat_str(pl.lit("value "), quoted["value"], pl.lit(" is not a number")))
        .when(~parsed_value.is_finite() | (parsed_value < 0))
        .then(
            pl.concat_str(pl.lit("value "), quoted["value"], pl.lit(" is not a finite count >= 0"))
        )
        .when(pl.col("observed_at").is_null())
        .then(pl.lit("observed_at is empty"))
        .when(parsed_at.is_null())
        .then(
            pl.concat_str(
                pl.lit("observed_at "),
                quoted["observed_at"],
                pl.lit(" is not an ISO 8601 timestamp (e.g. 2025-03-01T06:00:00Z)"),
            )
        )
    )


def checked_rows(raw: pl.DataFrame) -> pl.DataFrame:
    """Raw text rows (every column a string, plus ``line``) -> typed columns and ``problem``.

    Text is trimmed; an empty ``artist_name`` is allowed (the external id names the artist).
    """
    text = raw.with_columns(
        pl.col(name).str.strip_chars().replace("", None) for name in COLUMNS
    ).with_columns(pl.col("platform", "metric").str.to_lowercase())
    value = pl.col("value").cast(pl.Float64, strict=False)
    observed_at = parse_timestamps(text["observed_at"]).alias("_observed_at")
    return (
        text.with_columns(observed_at)
        .with_columns(problem=_problem(value, pl.col("_observed_at")))
        .with_columns(value=value, observed_at=pl.col("_observed_at"))
        .drop("_observed_at")
    )


def describe_problems(problems: pl.DataFrame, total: int, source: str) -> str:
    """One message for the bad rows: how many, and the first few with their line numbers."""
    lines = [
        f"line {line}: {problem}"
        for line, problem in problems.select("line", "problem").head(PROBLEMS_SHOWN).iter_rows()
    ]
    more = total - len(lines)
    tail = [f"... and {more} more bad rows"] if more > 0 else []
    return "\n".join(
        [f"{source}: {total} bad rows; nothing was loaded. Fix these and load again:"]
        + [f"  {line}" for line in lines + tail]
    )


def artist_identities(rows: pl.LazyFrame) -> pl.LazyFrame:
    """One row per (platform, external_id) with the artist name of its first line (or the id)."""
    return (
        rows.group_by("platform", "external_id")
        .agg(pl.col("artist_name").drop_nulls().first(), pl.col("line").min())
        .with_columns(
            pl.col("platform").cast(PLATFORM), artist_name=pl.coalesce("artist_name", "external_id")
        )
        .sort("line")
    )


def observation_rows(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Typed observations, one per key (``platform`` and ``metric`` as enums); a key given on
    two lines keeps the later line's value (a correction further down the file)."""
    return rows.unique(subset=list(KEY), keep="last").select(
        pl.col("platform").cast(PLATFORM),
        "external_id",
        pl.col("metric").cast(METRIC),
        "observed_at",
        "value",
    )
