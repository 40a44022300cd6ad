"""Batch execution and the result shape every platform pull returns.

A pull is split into units (a batch of ids, or one id); units run on a small thread pool. A
unit's transient or permanent error fails only its ids; an auth error or an open circuit is
fatal for the platform: the remaining units are not sent and their ids fail with that error.
"""

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from promoteros_pipelines.resources.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformUnavailableError,
)

OBSERVATION_SCHEMA = {
    "external_id": pl.String,
    "platform": pl.String,
    "metric": pl.String,
    "value": pl.Float64,
    "observed_at": pl.Datetime("us", "UTC"),
}
FAILURE_SCHEMA = {
    "external_id": pl.String,
    "platform": pl.String,
    "kind": pl.String,
    "status": pl.Int64,
    "message": pl.String,
}
# (external_id, metric, value, observed_at)
Record = tuple[str, str, float, dt.datetime]


@dataclass(frozen=True)
class PullFailure:
    external_id: str
    error: PlatformError


@dataclass
class PullResult:
    """Observations that arrived, plus the ids that did not and why."""

    platform: str
    observations: pl.DataFrame
    failures: list[PullFailure] = field(default_factory=list)
    fatal: PlatformError | None = None

    @property
    def failed_ids(self) -> list[str]:
        return [f.external_id for f in self.failures]

    def failures_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "external_id": [f.external_id for f in self.failures],
                "platform": [self.platform] * len(self.failures),
                "kind": [f.error.kind for f in self.failures],
                "status": [f.error.status for f in self.failures],
                "message": [str(f.error) for f in self.failures],
            },
            schema=FAILURE_SCHEMA,
        )


def observations_frame(platform: str, records: Sequence[Record]) -> pl.DataFrame:
    columns = list(zip(*records, strict=True)) if records else [[], [], [], []]
    return pl.DataFrame(
        {
            "external_id": columns[0],
            "platform": [platform] * len(records),
            "metric": columns[1],
            "value": [float(v) for v in columns[2]],
            "observed_at": columns[3],
        },
        schema=OBSERVATION_SCHEMA,
    )


UnitResult = tuple[list[Record], list[PullFailure]]


def run_units(
    platform: str,
    units: Sequence[Sequence[str]],
    call: Callable[[Sequence[str]], UnitResult],
    *,
    concurrency: int = 1,
) -> PullResult:
    """Run ``call`` over units with bounded concurrency, isolating failures per unit."""
    stop = threading.Event()
    fatal: list[PlatformError] = []
    lock = threading.Lock()

    def run(unit: Sequence[str]) -> UnitResult:
        if stop.is_set():
            return [], [PullFailure(i, fatal[0]) for i in unit]
        try:
            return call(unit)
        except (PlatformAuthError, PlatformUnavailableError) as exc:
            with lock:
                if not fatal:
                    fatal.append(exc)
                stop.set()
            return [], [PullFailure(i, exc) for i in unit]
        except PlatformError as exc:
            return [], [PullFailure(i, exc) for i in unit]

    if concurrency <= 1 or len(units) <= 1:
        results = [run(u) for u in units]
    else:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=platform) as pool:
            results = list(pool.map(run, units))
    records = [r for recs, _ in results for r in recs]
    failures = [f for _, fails in results for f in fails]
    return PullResult(
        platform=platform,
        observations=observations_frame(platform, records),
        failures=failures,
        fatal=fatal[0] if fatal else None,
    )


def chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


CANDIDATE_SCHEMA = {
    "name": pl.String,
    "platform": pl.String,
    "external_id": pl.String,
    "source": pl.String,
    "rank": pl.Int64,
}


def candidates_frame(rows: Sequence[tuple[str, str, str, str, int]]) -> pl.DataFrame:
    """Trending candidates: (name, platform, external_id, source, rank)."""
    return pl.DataFrame(rows, schema=CANDIDATE_SCHEMA, orient="row")
