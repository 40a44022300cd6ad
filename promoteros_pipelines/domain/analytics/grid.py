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
    """Daily values of each series laid out by series (rows) and day (columns).

    ``keys`` holds one row per series in KEYS order; ``origin`` is day 0; ``present`` marks the
    cells that had any value.
    """

    keys: pl.DataFrame
    origin: date
    present: np.ndarray
    values: dict[str, np.ndarray]

    @classmethod
    def from_values(
        cls, values: pl.DataFrame, kinds: tuple[str, ...], origin: date, last: date
    ) -> "SeriesGrid":
        """Lay out a long frame (KEYS, day, ``kind`` = index into ``kinds``, ``value``; unique
        per KEYS, day and kind) between ``origin`` and ``last``, one grid per kind."""
        keys = (
            values.select(KEYS)
            .unique()
            .with_columns(pl.col("platform").cast(pl.Utf8))
            .sort(KEYS)
            .with_row_index("_sid")
        )
        cells = values.join(
            keys.with_columns(pl.col("platform").cast(values.schema["platform"])), on=KEYS
        ).select(
            "_sid",
            _di=(pl.col("day") - pl.lit(origin)).dt.total_days(),
            kind="kind",
            value=pl.col("value").cast(pl.Float64),
        )
        shape = (keys.height, (last - origin).days + 1)
        sid, di, kind = (cells[c].to_numpy() for c in ("_sid", "_di", "kind"))
        value = cells["value"].to_numpy()
        present = np.zeros(shape, dtype=bool)
        present[sid, di] = True
        grids = {}
        for code, name in enumerate(kinds):
            grid = np.full(shape, np.nan)
            mine = kind == code
            grid[sid[mine], di[mine]] = value[mine]
            grids[name] = grid
        return cls(keys=keys.drop("_sid"), origin=origin, present=present, values=grids)

    def day_index(self, day: date) -> int:
        return (day - self.origin).days

    def cells(self, first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
        """(series, day) indices of every present cell from ``first`` to ``last``, in KEYS
        and day order."""
        lo, hi = max(0, self.day_index(first)), self.day_index(last) + 1
        sid, di = np.nonzero(self.present[:, lo:hi])
        return sid, di + lo

    def scatter(self, sid: np.ndarray, di: np.ndarray, values: np.ndarray) -> np.ndarray:
        """A grid holding ``values`` at the cells (sid, di) and NaN elsewhere."""
        grid = np.full(self.present.shape, np.nan)
        grid[sid, di] = values
        return grid

    def frame(self, sid: np.ndarray, di: np.ndarray, columns: dict[str, np.ndarray]):
        """KEYS, day and the 1-D ``columns`` (one value per cell) as a frame; NaN -> null."""
        out = self.keys[sid].with_columns(
            day=pl.lit(self.origin) + pl.duration(days=pl.Series(di, dtype=pl.Int64))
        )
        return out.with_columns(
            pl.Series(name, values, nan_to_null=True) for name, values in columns.items()
        )


def look_back(
    grid: np.ndarray, sid: np.ndarray, di: np.ndarray, days_back: int, tolerance: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each cell (sid, di): the value at the nearest non-NaN day from ``days_back`` to
    ``days_back + tolerance`` days earlier in its row, and how many days back that was (0 where
    there is none)."""
    flat = grid.reshape(-1)  # 1-D takes are several times faster than 2-D fancy indexing
    position = sid * grid.shape[1] + di
    found = np.full(len(sid), np.nan)
    back = np.zeros(len(sid), dtype=np.int64)
    todo = np.flatnonzero(di >= days_back)
    for k in range(days_back, days_back + tolerance + 1):  # nearest first
        todo = todo[di[todo] >= k]
        earlier = flat.take(position[todo] - k)
        hit = ~np.isnan(earlier)
        found[todo[hit]] = earlier[hit]
        back[todo[hit]] = k
        todo = todo[~hit]
    return found, back
