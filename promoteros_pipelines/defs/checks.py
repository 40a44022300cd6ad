"""Data-quality checks shared by the table assets, as pure functions of the frame to write.

Each returns an ``AssetCheckResult``; the assets declare the matching ``AssetCheckSpec`` with
``blocking=True`` where a bad table would mislead the next step (a duplicated key doubles an
artist's signals; a null key orphans a row; an out-of-range score misranks artists).

The checks run on the frame *before* it is written: when a blocking one fails,
``stop_before_writing`` records the results and fails the step, so the bad rows never reach
the table that dashboards, reports and other tools query (the partition keeps its old rows).
"""

from collections.abc import Iterator, Sequence

import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, Failure

KEYS_NOT_NULL = "KEYS_NOT_NULL"
KEYS_UNIQUE = "KEYS_UNIQUE"
VALUES_IN_RANGE = "VALUES_IN_RANGE"
PARTITION_ROW_COUNT = "PARTITION_ROW_COUNT"

BLOCKING = frozenset({KEYS_NOT_NULL, KEYS_UNIQUE, VALUES_IN_RANGE})

ROW_COUNT_BAND = (0.5, 1.5)
"""A partition's rows relative to the median of recent partitions that still look normal."""


def quality_specs(asset: str, *, row_count: bool = False) -> list[AssetCheckSpec]:
    """The standard checks of one analytics table (row count only for partitioned ones)."""
    specs = [
        AssetCheckSpec(
            KEYS_NOT_NULL, asset=asset, blocking=True, description="No null in the natural key."
        ),
        AssetCheckSpec(
            KEYS_UNIQUE, asset=asset, blocking=True, description="No duplicated natural key."
        ),
        AssetCheckSpec(
            VALUES_IN_RANGE,
            asset=asset,
            blocking=True,
            description="Scores 0-100, growth and strength finite, counts not negative.",
        ),
    ]
    if row_count:
        specs.append(
            AssetCheckSpec(
                PARTITION_ROW_COUNT,
                asset=asset,
                description="Rows per day within 50%-150% of the median of the previous 7 days.",
            )
        )
    return specs


def keys_not_null(frame: pl.DataFrame, keys: list[str]) -> AssetCheckResult:
    nulls = frame.select(pl.any_horizontal(pl.col(keys).is_null()).sum()).item()
    return AssetCheckResult(
        check_name=KEYS_NOT_NULL,
        passed=nulls == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={"rows_with_null_key": int(nulls), "key": ", ".join(keys)},
    )


def keys_unique(frame: pl.DataFrame, keys: list[str]) -> AssetCheckResult:
    duplicated = frame.height - frame.select(keys).n_unique() if frame.height else 0
    return AssetCheckResult(
        check_name=KEYS_UNIQUE,
        passed=duplicated == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={"duplicated_rows": int(duplicated), "key": ", ".join(keys)},
    )


def values_in_range(frame: pl.DataFrame, rules: dict[str, pl.Expr]) -> AssetCheckResult:
    """``rules``: name -> boolean expression that must hold (nulls pass) on every row."""
    failing = {
        name: int(frame.select((~rule).fill_null(False).sum()).item())
        for name, rule in rules.items()
    }
    return AssetCheckResult(
        check_name=VALUES_IN_RANGE,
        passed=not any(failing.values()),
        severity=AssetCheckSeverity.ERROR,
        metadata={f"rows_failing_{name}": count for name, count in failing.items()},
    )


def finite(column: str) -> pl.Expr:
    return pl.col(column).is_finite()


def partition_row_count(rows: int, previous: list[int]) -> AssetCheckResult:
    """Warn when a day has far fewer or more rows than the days before it (a partial load)."""
    if not previous:
        return AssetCheckResult(
            check_name=PARTITION_ROW_COUNT,
            passed=rows > 0,
            severity=AssetCheckSeverity.WARN,
            metadata={"rows": rows, "note": "no earlier partitions to compare with"},
        )
    expected = float(pl.Series(previous).median())  # type: ignore[arg-type]
    low, high = (expected * ROW_COUNT_BAND[0], expected * ROW_COUNT_BAND[1])
    return AssetCheckResult(
        check_name=PARTITION_ROW_COUNT,
        passed=low <= rows <= high,
        severity=AssetCheckSeverity.WARN,
        metadata={"rows": rows, "expected_low": low, "expected_high": high},
    )


def stop_before_writing(
    table: str, results: Sequence[AssetCheckResult]
) -> Iterator[AssetCheckResult]:
    """Nothing when every blocking check passed; otherwise yields every result (so the UI
    shows them) and fails the step before anything is written to ``table``."""
    failed = [r.check_name for r in results if not r.passed and r.check_name in BLOCKING]
    if not failed:
        return
    yield from results
    raise Failure(
        f"{', '.join(sorted(set(filter(None, failed))))} failed on the rows computed for "
        f"{table}; nothing was written, so the table keeps its previous rows. The check "
        "results show which rows and why.",
        allow_retries=False,  # the same rows would fail again: fix the source, then re-run
    )
