"""28-day robust baselines (median and MAD) on a series x day grid.

Rolling MAD has no polars kernel (the centre moves with every window), and pairing each target
day with its 28 previous days as rows costs ``targets x window`` joined rows: gigabytes for a
two-week backfill of 100k artist-platforms. Here, day by day, the target series' previous
``window`` days are one slice of the grid (see ``grid.py``) and medians come from sorting those
short rows, so the working memory is one day's ``series x window`` block.
"""

import numpy as np


def windowed_median_mad(
    grid: np.ndarray, sid: np.ndarray, di: np.ndarray, window: int, min_days: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, MAD and number of non-NaN values of ``grid[sid, di - window : di]`` per target.

    The target day itself is excluded so today's movement cannot hide in its own baseline;
    days before the grid's first day count as missing. Median and MAD are NaN where fewer than
    ``min_days`` values are present (those windows are never sorted).
    """
    observed = np.concatenate(
        [np.zeros((grid.shape[0], 1), np.int64), np.cumsum(~np.isnan(grid), axis=1)], axis=1
    )
    start = np.maximum(di - window, 0)
    days = observed[sid, di] - observed[sid, start]
    median, mad = np.full(len(sid), np.nan), np.full(len(sid), np.nan)
    targets = np.flatnonzero(days >= max(min_days, 1))
    if targets.size == 0:
        return median, mad, days
    targets = targets[np.argsort(di[targets], kind="stable")]  # grouped by day, in order
    day_of = di[targets]
    starts = np.flatnonzero(np.r_[True, day_of[1:] != day_of[:-1]])
    for rows, day in zip(np.split(targets, starts[1:]), day_of[starts], strict=True):
        block = grid[sid[rows], max(day - window, 0) : day]  # a copy: (targets, <= window)
        count = days[rows]
        median[rows] = _nan_median_rows(block, count)
        np.abs(block - median[rows, None], out=block)
        mad[rows] = _nan_median_rows(block, count)
    return median, mad, days


def _nan_median_rows(values: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN (which ``np.sort`` puts last), for rows with ``count >= 1``.

    Sorts ``values`` in place. Same definition as polars' ``median``: the mean of the two
    middle values for an even count.
    """
    values.sort(axis=1)
    low = np.take_along_axis(values, ((count - 1) // 2)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(values, (count // 2)[:, None], axis=1)[:, 0]
    return (low + high) / 2.0
