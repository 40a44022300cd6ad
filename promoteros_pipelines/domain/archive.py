"""Rules of the observation archive: which months are due, how partitions are named, and the
content checksum that proves an exported month holds exactly the rows it was made from.

The checksum is a sum (modulo 2**64) of a 64-bit mix of every column of each row, so it does
not depend on row order or on how the rows were batched, and any changed, missing or extra
row changes it. It is our own arithmetic on numpy's unsigned integers (wrapping by design)
rather than a library hash, so it gives the same answer in any later version of polars.
"""

import datetime as dt
import re
import zlib

import numpy as np
import polars as pl

PARTITION_PREFIX = "metric_observations_p"
_PARTITION = re.compile(rf"^{PARTITION_PREFIX}(\d{{4}})_(\d{{2}})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
COLUMNS = ("artist_id", "platform", "metric", "observed_at", "value", "source", "ingested_at")
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ODD = [np.uint64(k) for k in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
                                0x27D4EB2F165667C5)]  # fmt: skip


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{PARTITION_PREFIX}{month:%Y_%m}"


def month_of_partition(name: str) -> dt.date | None:
    """The month a partition holds, or None for the default partition or another table."""
    match = _PARTITION.match(name)
    return dt.date(int(match[1]), int(match[2]), 1) if match else None


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` as the first day of that month; a ValueError saying what is expected."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2025-01")
    return dt.date(int(match[1]), int(match[2]), 1)


def archive_cutoff(today: dt.date, retention_months: int) -> dt.date:
    """The first month kept: the current month and ``retention_months`` full months before it
    stay in the database; every month before this one is due for the archive."""
    return add_months(month_start(today), -retention_months)


def months_due(months: list[dt.date], today: dt.date, retention_months: int) -> list[dt.date]:
    cutoff = archive_cutoff(today, retention_months)
    return sorted(m for m in months if m < cutoff)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit affects every output bit."""
    values = values ^ (values >> np.uint64(30))
    values = values * _M1
    values = values ^ (values >> np.uint64(27))
    values = values * _M2
    return values ^ (values >> np.uint64(31))


def _text_codes(series: pl.Series) -> np.ndarray:
    uniques = series.unique().drop_nulls().to_list()
    codes = {text: zlib.crc32(text.encode()) for text in uniques}
    return series.replace_strict(codes, return_dtype=pl.UInt64).fill_null(0).to_numpy()


def _as_u64(series: pl.Series) -> np.ndarray:
    if series.dtype == pl.String:
        return _text_codes(series)
    if isinstance(series.dtype, pl.Datetime):
        series = series.dt.cast_time_unit("us").dt.epoch("us")
    array = series.fill_null(0).to_numpy()
    if array.dtype == np.float64:
        return array.view(np.uint64)
    return array.astype(np.int64).view(np.uint64)


def content_checksum(frame: pl.DataFrame, start: int = 0) -> int:
    """Order-independent checksum of ``frame``'s rows (the archive's columns), continuing from
    ``start`` so that batches can be summed as they stream past."""
    if frame.is_empty():
        return start
    row = np.zeros(frame.height, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for weight, column in zip(_ODD, COLUMNS, strict=True):
            row = _mix(row ^ (_as_u64(frame[column]) * weight))
        total = int(row.sum(dtype=np.uint64))
    return (start + total) % 2**64
