"""The data-validation rounds: one function per table the pipelines write, returning findings.

The Dagster asset checks (``checks.py``) and ``promoteros validate`` both call ``validate``, so
a scheduled round and an on-demand one find the same things and log them the same way.
Range rules and row counts run as SQL aggregates (one scan, whatever the table's size); the
anomaly rules read only the recent window of observations.

Auto-fixes are exact and recorded: an exact duplicate observation is deleted (the rows listed
in ``before``); a one-sample glitch is marked excluded in ``observation_glitches`` (the table
the viral detector already keeps and honours), never deleted.
"""

import datetime as dt
from collections.abc import Callable

import polars as pl

from promoteros_pipelines.defs.operations import store
from promoteros_pipelines.domain import quality
from promoteros_pipelines.domain.analytics.glitches import find_glitches, without_glitches
from promoteros_pipelines.domain.quality import Finding
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

WINDOW = dt.timedelta(days=8)
"""Observations read for the anomaly rules: a week of each series' noise plus a day."""
FLAG_SINCE = dt.timedelta(hours=26)
"""Anomalies are reported for steps of the last 26 hours (a round every 4 hours sees each one
several times, then the incident closes once it is history)."""
ROW_COUNT_DAYS = 7
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

OBSERVATIONS = "metric_observations"
RANGES = "STORED_VALUES_IN_RANGE"
ROW_COUNT = "DAILY_ROW_COUNT"
DUPLICATES = "EXACT_DUPLICATES"
GLITCHES = "ONE_SAMPLE_GLITCHES"
BACKWARDS = "GOES_BACKWARDS"
FROZEN = "FROZEN_SERIES"
ORPHANS = "OBSERVATIONS_HAVE_PLATFORM_ID"
ONE_ARTIST = "PLATFORM_ID_ONE_ARTIST"
IDENTITY = "PLATFORMS_AGREE_ON_IDENTITY"

FINITE = "{c} NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)"

TABLE_RULES: dict[str, dict[str, str]] = {
    "daily_artist_metrics": {
        "followers_not_negative": "followers >= 0",
        "engagement_rate_within_bounds": (
            f"engagement_rate BETWEEN 0 AND {quality.ENGAGEMENT_RATE_MAX}"
        ),
        "growth_1d_finite": FINITE.format(c="growth_1d"),
        "growth_z_finite": FINITE.format(c="growth_z"),
    },
    "artist_momentum": {
        "score_0_100": "momentum_score BETWEEN 0 AND 100",
        "followers_not_negative": "followers >= 0",
        "peer_count_not_negative": "peer_count >= 0",
    },
    "viral_signals": {
        "strength_positive": "strength > 0",
        "strength_finite": FINITE.format(c="strength"),
    },
    "venues": {
        "capacity_positive": "capacity > 0",
        "ticket_price_not_negative": "typical_ticket_price >= 0",
    },
    "artist_metrics_latest": {"value_not_negative": "value >= 0"},
    "ticket_sales": {
        "tickets_not_negative": "tickets_sold >= 0",
        "gross_not_negative": "gross >= 0",
        "not_in_the_future": "observed_at <= now() + interval '5 minutes'",
    },
    "show_sell_through": {
        "capacity_positive": "capacity > 0",
        "sold_not_negative": "sold >= 0",
        "sell_through_not_negative": "sell_through >= 0",
        "forecast_not_negative": "forecast_sell_through >= 0",
        "sellout_probability_0_1": "sellout_probability BETWEEN 0 AND 1",
        "velocity_finite": FINITE.format(c="velocity_24h")
        + " AND "
        + FINITE.format(c="velocity_7d"),
    },
    "tour_dates": {
        "latitude_in_range": "latitude BETWEEN -90 AND 90",
        "longitude_in_range": "longitude BETWEEN -180 AND 180",
    },
    "artist_city_audience": {"listeners_not_negative": "listeners >= 0"},
    "booking_scores": {"score_0_100": "score BETWEEN 0 AND 100"},
    "booking_opportunities": {
        "score_0_100": "score BETWEEN 0 AND 100",
        "window_in_order": "window_end >= window_start",
    },
}
"""Ranges of the stored tables (several are also database CHECKs: a restored dump or a
dropped constraint would let bad rows in, and this is where they show)."""


def observation_rules(now: dt.datetime) -> dict[str, str]:
    future = (now + FUTURE_TOLERANCE).isoformat()
    return {
        "value_not_negative": "value >= 0",
        "value_finite": FINITE.format(c="value"),
        "popularity_0_100": "metric <> 'popularity' OR value BETWEEN 0 AND 100",
        "not_in_future": f"observed_at <= '{future}'::timestamptz",
    }


def _row_count(warehouse: PostgresWarehouse, asset: str, column: str, now: dt.datetime) -> Finding:
    """The last complete UTC day against the median of the ``ROW_COUNT_DAYS`` before it."""
    day = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    first = day - dt.timedelta(days=ROW_COUNT_DAYS)
    counts = store.rows_per_day(warehouse, asset, column, first, day)
    previous = [counts[d] for d in sorted(counts) if d < day]
    return quality.row_count_finding(asset, ROW_COUNT, day, counts.get(day, 0), previous)


def _fix_duplicates(warehouse: PostgresWarehouse, window: pl.DataFrame) -> Finding:
    duplicates = quality.exact_duplicates(window)
    deleted = store.delete_observations(warehouse, duplicates)
    finding = quality.anomaly_finding(
        OBSERVATIONS, DUPLICATES, duplicates, "info", "same value stored twice within a second"
    )
    if not deleted:
        return finding
    rows = [
        {**r, "observed_at": r["observed_at"].isoformat()}
        for r in duplicates.select(*store.OBSERVATION_KEY, "value").to_dicts()
    ]
    return Finding(
        OBSERVATIONS,
        DUPLICATES,
        "info",
        False,
        finding.details,
        auto_fixed=True,
        before={"duplicate_rows": rows},
        after={"deleted_rows": deleted},
    )


def _mark_glitches(
    warehouse: PostgresWarehouse, window: pl.DataFrame, since: dt.datetime
) -> Finding:
    glitches = find_glitches(window).collect()
    known = store.keys_of(store.recorded_glitches(warehouse, since), store.OBSERVATION_KEY)
    new = (
        glitches.filter(
            pl.Series(
                [k not in known for k in glitches.select(store.OBSERVATION_KEY).iter_rows()],
                dtype=pl.Boolean,
            )
        )
        if glitches.height
        else glitches
    )
    finding = quality.anomaly_finding(
        OBSERVATIONS, GLITCHES, new, "info", "value departed and came back within one sample"
    )
    if new.is_empty():
        return finding
    warehouse.upsert("observation_glitches", new, store.OBSERVATION_KEY, update=[])
    rows = [{**r, "observed_at": r["observed_at"].isoformat()} for r in new.to_dicts()]
    return Finding(
        OBSERVATIONS,
        GLITCHES,
        "info",
        False,
        finding.details,
        auto_fixed=True,
        before={"unmarked_glitches": rows},
        after={"marked_excluded_in": "observation_glitches", "rows": new.height},
    )


def validate_observations(warehouse: PostgresWarehouse, now: dt.datetime) -> list[Finding]:
    """Ranges, the day's row count, exact duplicates (fixed), one-sample glitches (marked),
    counters going backwards, frozen series and observations without a platform id."""
    findings = [
        quality.rules_finding(
            OBSERVATIONS,
            RANGES,
            store.count_failing(warehouse, OBSERVATIONS, observation_rules(now)),
            "critical",
        ),
        _row_count(warehouse, OBSERVATIONS, "observed_at", now),
    ]
    since = now - WINDOW
    window = store.read_observation_window(warehouse, since, now + FUTURE_TOLERANCE)
    findings.append(_fix_duplicates(warehouse, window))
    window = (
        window.join(quality.exact_duplicates(window), on=store.OBSERVATION_KEY, how="anti")
        if window.height
        else window
    )
    findings.append(_mark_glitches(warehouse, window, since))
    clean = without_glitches(window).collect() if window.height else window
    findings.append(
        quality.anomaly_finding(
            OBSERVATIONS,
            BACKWARDS,
            quality.goes_backwards(clean, now - FLAG_SINCE),
            "warning",
            "a counter fell by more than its own noise",
        )
    )
    findings.append(
        quality.anomaly_finding(
            OBSERVATIONS,
            FROZEN,
            quality.frozen_series(clean),
            "warning",
            "the same value for days from a series that normally moves",
        )
    )
    orphans = store.orphan_observations(warehouse, now - FLAG_SINCE)
    findings.append(
        Finding(
            OBSERVATIONS,
            ORPHANS,
            "warning",
            orphans.is_empty(),
            {
                "artist_platforms": orphans.height,
                "rows": int(orphans["rows"].sum()) if orphans.height else 0,
                "examples": orphans.head(quality.EXAMPLES).to_dicts(),
            },
        )
    )
    return findings


def validate_identity(warehouse: PostgresWarehouse, now: dt.datetime) -> list[Finding]:
    """Cross-platform reconciliation of ``artist_platform_ids`` (owned by tracked_artists)."""
    artists, ids = store.read_identity(warehouse)
    conflicts = quality.platform_id_conflicts(ids)
    splits = quality.split_identities(artists, ids)
    return [
        Finding(
            "tracked_artists",
            ONE_ARTIST,
            "critical",
            conflicts.is_empty(),
            {
                "conflicting_ids": conflicts.height,
                "examples": conflicts.head(quality.EXAMPLES).to_dicts(),
            },
        ),
        Finding(
            "tracked_artists",
            IDENTITY,
            "warning",
            splits.is_empty(),
            {"split_artists": splits.height, "examples": splits.head(quality.EXAMPLES).to_dicts()},
        ),
    ]


def validate_table(asset: str) -> Callable[[PostgresWarehouse, dt.datetime], list[Finding]]:
    """Ranges of one stored table (+ its day's row count when it has daily partitions)."""

    def run(warehouse: PostgresWarehouse, now: dt.datetime) -> list[Finding]:
        failing = store.count_failing(warehouse, asset, TABLE_RULES[asset])
        findings = [quality.rules_finding(asset, RANGES, failing, "critical")]
        if asset in ("daily_artist_metrics", "artist_momentum"):
            findings.append(_row_count(warehouse, asset, "day", now))
        return findings

    return run


ROUNDS: dict[str, Callable[[PostgresWarehouse, dt.datetime], list[Finding]]] = {
    OBSERVATIONS: validate_observations,
    "tracked_artists": validate_identity,
    **{asset: validate_table(asset) for asset in TABLE_RULES},
}
"""Asset -> its validation round. Each asset's findings are the checks declared on it."""

CHECKS: dict[str, list[str]] = {
    OBSERVATIONS: [RANGES, ROW_COUNT, DUPLICATES, GLITCHES, BACKWARDS, FROZEN, ORPHANS],
    "tracked_artists": [ONE_ARTIST, IDENTITY],
    **{
        asset: [RANGES, ROW_COUNT]
        if asset in ("daily_artist_metrics", "artist_momentum")
        else [RANGES]
        for asset in TABLE_RULES
    },
}


def validate(
    warehouse: PostgresWarehouse, now: dt.datetime, assets: list[str] | None = None
) -> list[Finding]:
    """Run the rounds of ``assets`` (default all) and log every finding at ``now``."""
    findings = [f for asset in (assets or list(ROUNDS)) for f in ROUNDS[asset](warehouse, now)]
    store.log_findings(warehouse, now, findings)
    return findings
