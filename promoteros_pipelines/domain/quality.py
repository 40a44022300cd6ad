"""Data-quality rules over the stored tables: findings, severities and the anomalies that are
not virality.

Every rule is a pure function of numbers or frames the operations area reads; each returns a
``Finding`` (one row of ``data_quality_log``). Severities follow the issue: ``critical`` (a
person must act now: wrong numbers reach reports), ``warning`` (suspicious, for the digest),
``info`` (recorded, e.g. an exact auto-fix, for the weekly ops report).

Anomalies that are not virality (``goes_backwards``, ``frozen_series``, the one-sample
glitches of ``domain.analytics.glitches``) are kept apart from viral signals: they are logged
here and never feed the viral detector.
"""

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

SEVERITIES = ("critical", "warning", "info")
SERIES = ["artist_id", "platform", "metric"]

ROW_COUNT_BAND = (0.5, 1.5)
"""A day's rows relative to the median of the previous days (same band as the analytics)."""
ENGAGEMENT_RATE_MAX = 100.0
"""Engagements per follower in a day above this are not plausible (views count as engagements
on YouTube, so rates above 1 are normal; a hundred views per follower per day is not)."""
BACKWARDS_NOISE_FACTOR = 5.0
"""A step down counts as going backwards when it exceeds this many robust SDs of the series'
own steps..."""
BACKWARDS_RELATIVE_FLOOR = 0.01
"""...and 1 % of the previous value (a perfectly smooth series has zero noise)."""
MONOTONE_METRICS = ("views", "likes", "comments", "shares", "posts", "followers")
"""Counters that only grow, bar noise (followers lose a few unfollows: within the noise)."""
FROZEN_MIN_POINTS = 6
FROZEN_MIN_SPAN = dt.timedelta(days=3)
FROZEN_FLOOR = 1000.0
"""A series is frozen when its newest value has held for ``FROZEN_MIN_POINTS`` observations
spanning at least ``FROZEN_MIN_SPAN``, a value of at least ``FROZEN_FLOOR`` (a small account
may really not move for days; a 50,000-follower count that does is a stuck collector)."""
FROZEN_METRICS = ("followers", "views", "likes")
EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    """One check's outcome on one table: a row of ``data_quality_log``."""

    asset: str
    check: str
    severity: str
    passed: bool
    details: Mapping[str, Any] = field(default_factory=dict)
    auto_fixed: bool = False
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")
        if not self.check.isupper() or " " in self.check:
            raise ValueError(f"check names are UPPER_SNAKE, not {self.check!r}")


def rules_finding(asset: str, check: str, failing: Mapping[str, int], severity: str) -> Finding:
    """Passed when no rule has a failing row; details name each rule's failing rows."""
    counts = {f"rows_failing_{name}": int(n) for name, n in failing.items()}
    return Finding(asset, check, severity, not any(counts.values()), counts)


def row_count_finding(
    asset: str, check: str, day: dt.date, rows: int, previous: list[int]
) -> Finding:
    """Warn when ``day`` has far fewer or more rows than the median of the days before it."""
    details: dict[str, Any] = {"day": day.isoformat(), "rows": rows}
    if not previous:
        details["note"] = "no earlier days to compare with"
        return Finding(asset, check, "warning", True, details)
    expected = float(statistics.median(previous))
    low, high = expected * ROW_COUNT_BAND[0], expected * ROW_COUNT_BAND[1]
    details |= {
        "expected_low": round(low),
        "expected_high": round(high),
        "days_compared": len(previous),
    }
    return Finding(asset, check, "warning", low <= rows <= high, details)


def _examples(frame: pl.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    rows = frame.select(columns).head(EXAMPLES).to_dicts()
    return [
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in r.items()}
        for r in rows
    ]


def exact_duplicates(observations: pl.DataFrame) -> pl.DataFrame:
    """Observations repeating an earlier row of their series with the same value within the
    same second (one reading stored twice, once with sub-second precision): all but the first
    of each such group. Columns: the series, ``observed_at`` and ``value``."""
    if observations.is_empty():
        return observations.select(*SERIES, "observed_at", "value")
    second = pl.col("observed_at").dt.truncate("1s")
    return (
        observations.sort([*SERIES, "observed_at"])
        .with_columns(_rank=pl.int_range(pl.len()).over([*SERIES, second, "value"]))
        .filter(pl.col("_rank") > 0)
        .select(*SERIES, "observed_at", "value")
    )


def goes_backwards(observations: pl.DataFrame, since: dt.datetime) -> pl.DataFrame:
    """Steps observed at or after ``since`` where a counter fell by more than its noise.

    Noise is the series' own robust SD of steps (1.4826 x MAD) over everything read; a step
    down is flagged when it is larger than ``BACKWARDS_NOISE_FACTOR`` noise and 1 % of the
    previous value. Pass observations without one-sample glitches (those are their own rule).
    """
    columns = [*SERIES, "observed_at", "value", "value_before", "noise"]
    lf = observations.lazy().filter(pl.col("metric").is_in(MONOTONE_METRICS))
    before = pl.col("value").shift(1).over(SERIES)
    step = pl.col("value") - pl.col("value_before")
    stepped = (
        lf.sort([*SERIES, "observed_at"])
        .with_columns(value_before=before)
        .with_columns(_step=step)
        .with_columns(
            noise=1.4826
            * (pl.col("_step") - pl.col("_step").median().over(SERIES)).abs().median().over(SERIES)
        )
    )
    threshold = pl.max_horizontal(
        BACKWARDS_NOISE_FACTOR * pl.col("noise").fill_null(0.0),
        BACKWARDS_RELATIVE_FLOOR * pl.col("value_before"),
    )
    return (
        stepped.filter((pl.col("observed_at") >= since) & (-pl.col("_step") > threshold))
        .select(columns)
        .collect()
    )


def frozen_series(observations: pl.DataFrame) -> pl.DataFrame:
    """Series whose newest values have not changed for at least ``FROZEN_MIN_POINTS``
    observations spanning ``FROZEN_MIN_SPAN``, at a value of at least ``FROZEN_FLOOR``: one
    row per series with the value and the first and last time it was seen."""
    run = (pl.col("value") != pl.col("value").shift(1)).fill_null(True).cum_sum().over(SERIES)
    last_run = (
        observations.lazy()
        .filter(pl.col("metric").is_in(FROZEN_METRICS))
        .sort([*SERIES, "observed_at"])
        .with_columns(_run=run)
        .filter(pl.col("_run") == pl.col("_run").max().over(SERIES))
        .group_by(SERIES)
        .agg(
            points=pl.len(),
            value=pl.col("value").first(),
            since=pl.col("observed_at").min(),
            until=pl.col("observed_at").max(),
        )
    )
    return (
        last_run.filter(
            (pl.col("points") >= FROZEN_MIN_POINTS)
            & (pl.col("value") >= FROZEN_FLOOR)
            & (pl.col("until") - pl.col("since") >= FROZEN_MIN_SPAN)
        )
        .select(*SERIES, "value", "since", "until")
        .sort(SERIES)
        .collect()
    )


def anomaly_finding(
    asset: str, check: str, flagged: pl.DataFrame, severity: str, what: str
) -> Finding:
    """A finding listing how many rows ``flagged`` holds, a few examples and the series hit."""
    details: dict[str, Any] = {"rows": flagged.height, "what": what}
    if flagged.height:
        details["series"] = flagged.select(SERIES).n_unique()
        details["examples"] = _examples(flagged, flagged.columns)
    return Finding(asset, check, severity, flagged.is_empty(), details)


def platform_id_conflicts(platform_ids: pl.DataFrame) -> pl.DataFrame:
    """Platform ids that resolve to more than one artist once spelled canonically (trimmed,
    lower case): ``platform``, ``canonical_id`` and the ``artist_ids`` they name."""
    canonical = pl.col("external_id").str.strip_chars().str.to_lowercase()
    return (
        platform_ids.with_columns(canonical_id=canonical)
        .group_by("platform", "canonical_id")
        .agg(artist_ids=pl.col("artist_id").unique().sort())
        .filter(pl.col("artist_ids").list.len() > 1)
        .sort("platform", "canonical_id")
    )


def split_identities(artists: pl.DataFrame, platform_ids: pl.DataFrame) -> pl.DataFrame:
    """Artists whose platforms disagree on identity: several artist rows with the same
    normalised name, each holding ids on platforms the others lack (one act split across
    rows, so its numbers are split too). Columns: ``normalized_name``, ``artist_ids``."""
    pairs = artists.select("artist_id", "normalized_name").join(
        platform_ids.select("artist_id", "platform").unique(), on="artist_id"
    )
    grouped = pairs.group_by("normalized_name").agg(
        artist_ids=pl.col("artist_id").unique().sort(),
        total=pl.len(),
        distinct=pl.col("platform").n_unique(),
    )
    return (
        grouped.filter(
            (pl.col("artist_ids").list.len() > 1) & (pl.col("total") == pl.col("distinct"))
        )
        .select("normalized_name", "artist_ids")
        .sort("normalized_name")
    )


def health_score(components: Mapping[str, bool | None], weights: Mapping[str, int]) -> int:
    """0-100: the weighted share of probed components that are up (``None``: not configured,
    left out). Nothing probed scores 0."""
    probed = {name: up for name, up in components.items() if up is not None}
    total = sum(weights.get(name, 1) for name in probed)
    if not total:
        return 0
    return round(100 * sum(weights.get(name, 1) for name, up in probed.items() if up) / total)


def health_status(score: int, database_up: bool) -> str:
    """``down`` when the database is down (nothing works) or the score is under 50,
    ``degraded`` when anything probed is down, else ``healthy``."""
    if not database_up or score < 50:
        return "down"
    return "degraded" if score < 100 else "healthy"
