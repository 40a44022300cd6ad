"""Per-series day grids: the daily snapshots as dense ``series x day`` numpy arrays.

Daily features are all "look back k days in the same series" questions (previous observed day,
7 and 28 days ago, the 28-day window). On a dense grid each is a column shift, so a two-week
backfill of 100k artist-platforms costs a few vectorised passes over ~4M cells instead of
as-of joins and pairwise windows over millions of rows. Missing days are NaN.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from promoteros_pipelines.domain.analytics.schema import KEYS


@dataclass(frozen=True)
class SeriesGrid:
    """``columns`` of a (KEYS, day) frame laid out by series (rows) and day (columns).

    ``keys`` holds one row per series in KEYS order; ``origin`` is day 0; ``present`` marks the
    cells that had a row in the frame (whatever their values).
    """

    keys: pl.DataFrame
    origin: date
    present: np.ndarray
    values: dict[str, np.ndarray]

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, columns: list[str], origin: date, last: date):
        """Lay out ``frame`` (unique per KEYS and day) between ``origin`` and ``last``."""
        frame = frame.filter(pl.col("day") >= origin, pl.col("day") <= last)
        keys = (
            frame.select(KEYS)
            .unique()
            .with_columns(pl.col("platform").cast(pl.Utf8))
            .sort(KEYS)
            .with_row_index("_sid")
        )
        cells = frame.join(
            keys.with_columns(pl.col("platform").cast(frame.schema["platform"])), on=KEYS
        ).with_columns(_di=(pl.col("day") - pl.lit(origin)).dt.total_days())
        keys = keys.drop("_sid")
        shape = (keys.height, (last - origin).days + 1)
        sid, di = cells["_sid"].to_numpy(), cells["_di"].to_numpy()
        present = np.zeros(shape, dtype=bool)
        present[sid, di] = True
        values = {}
        for column in columns:
            grid = np.full(shape, np.nan)
            grid[sid, di] = cells[column].cast(pl.Float64).to_numpy()
            values[column] = grid
        return cls(keys=keys, origin=origin, present=present, values=values)

    def day_index(self, day: date) -> int:
        return (day - self.origin).days

    def cells(self, first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
        """(series, day) indices of every present cell from ``first`` to ``last``, in KEYS
        and day order."""
        lo, hi = max(0, self.day_index(first)), self.day_index(last) + 1
        sid, di = np.nonzero(self.present[:, lo:hi])
        return sid, di + lo

    def frame(self, sid: np.ndarray, di: np.ndarray, columns: dict[str, np.ndarray]):
        """KEYS, day and the 1-D ``columns`` (one value per cell) as a frame; NaN -> null."""
        out = self.keys[sid].with_columns(
            day=pl.lit(self.origin) + pl.duration(days=pl.Series(di, dtype=pl.Int64))
        )
        return out.with_columns(
            pl.Series(name, values, nan_to_null=True) for name, values in columns.items()
        )


def look_back(grid: np.ndarray, days_back: int, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """The value at the nearest non-NaN day from ``days_back`` to ``days_back + tolerance``
    days earlier in the same row, and how many days back it was (0 where none)."""
    found = np.full(grid.shape, np.nan)
    back = np.zeros(grid.shape, dtype=np.int64)
    for k in range(days_back + tolerance, days_back - 1, -1):  # farthest first, nearest wins
        if k >= grid.shape[1]:
            continue
        earlier = grid[:, : grid.shape[1] - k]
        has = ~np.isnan(earlier)
        np.copyto(found[:, k:], earlier, where=has)
        np.copyto(back[:, k:], k, where=has)
    return found, back
