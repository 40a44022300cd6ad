"""28-day robust baselines (median and MAD) on a series x day grid.

Rolling MAD has no polars kernel (the centre moves with every window), and pairing each target
day with its 28 previous days as rows costs ``targets x window`` joined rows: gigabytes for a
two-week backfill of 100k artist-platforms. Here each target's window is a strided view of the
grid (see ``grid.py``) and medians come from sorting 28-value rows, chunk by chunk, so memory
stays bounded by ``_CHUNK_ROWS x window`` whatever the number of targets.
"""

import numpy as np

_CHUNK_ROWS = 250_000
"""Target cells per sorting chunk: 250k x 28 float64 = 56 MB per working copy."""


def windowed_median_mad(
    grid: np.ndarray, sid: np.ndarray, di: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, MAD and number of non-NaN values of ``grid[sid, di - window : di]`` per target.

    The target day itself is excluded so today's movement cannot hide in its own baseline;
    days before the grid's first day count as missing. Median and MAD are NaN for an empty
    window (callers apply their own minimum number of days).
    """
    padded = np.concatenate([np.full((grid.shape[0], window), np.nan), grid], axis=1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=1)
    n = len(sid)
    median, mad, days = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, np.int64)
    for lo in range(0, n, _CHUNK_ROWS):
        hi = min(n, lo + _CHUNK_ROWS)
        values = windows[sid[lo:hi], di[lo:hi]]  # window ending the day before: a copy
        count = window - np.isnan(values).sum(axis=1)
        days[lo:hi] = count
        median[lo:hi] = _nan_median_rows(values, count)
        np.abs(values - median[lo:hi, None], out=values)
        mad[lo:hi] = _nan_median_rows(values, count)
    return median, mad, days


def _nan_median_rows(values: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN (which ``np.sort`` puts last); NaN for an all-NaN row.

    Sorts ``values`` in place. Same definition as polars' ``median``: the mean of the two
    middle values for an even count.
    """
    values.sort(axis=1)
    safe = np.maximum(count, 1)
    low = np.take_along_axis(values, ((safe - 1) // 2)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(values, (safe // 2)[:, None], axis=1)[:, 0]
    return np.where(count > 0, (low + high) / 2.0, np.nan)
