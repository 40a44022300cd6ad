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

from promoteros_pipelines.domain.analytics.schema import PLATFORMS

PLATFORM_CODES = pl.Enum(sorted(PLATFORMS))
"""Platforms in name order: their physical codes sort like the names."""


def series_key() -> pl.Expr:
    """One Int64 per (artist_id, platform) that sorts like the pair: grouping and ranking by
    one integer is several times faster than by an integer and a string on millions of rows.
    A platform outside ``PLATFORMS`` fails the cast (the database refuses them too)."""
    code = pl.col("platform").cast(PLATFORM_CODES).to_physical().cast(pl.Int64)
    return (pl.col("artist_id") * len(PLATFORMS) + code).alias("series")


def decode_series(series: pl.Series) -> pl.DataFrame:
    """artist_id and platform (a string) back from ``series_key()`` values."""
    return pl.DataFrame({"series": series}).select(
        artist_id=pl.col("series") // len(PLATFORMS),
        platform=(pl.col("series") % len(PLATFORMS)).replace_strict(
            dict(enumerate(PLATFORM_CODES.categories)), return_dtype=pl.Utf8
        ),
    )


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
        """Lay out a long frame (``series`` from ``series_key()``, day, ``kind`` = index into
        ``kinds``, ``value``; unique per series, day and kind) between ``origin`` and ``last``,
        one grid per kind."""
        cells = values.select(
            sid=pl.col("series").rank("dense").cast(pl.Int64) - 1,
            di=(pl.col("day") - pl.lit(origin)).dt.total_days(),
            kind="kind",
            value=pl.col("value").cast(pl.Float64),
        )
        keys = decode_series(values["series"].unique().sort())
        shape = (keys.height, (last - origin).days + 1)
        position = cells["sid"].to_numpy() * shape[1] + cells["di"].to_numpy()
        kind, value = cells["kind"].to_numpy(), cells["value"].to_numpy()
        present = np.zeros(shape, dtype=bool)
        present.reshape(-1)[position] = True
        grids = {}
        for code, name in enumerate(kinds):
            grid = np.full(shape, np.nan)
            mine = kind == code
            grid.reshape(-1)[position[mine]] = value[mine]
            grids[name] = grid
        return cls(keys=keys, origin=origin, present=present, values=grids)

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
            day=pl.lit(self.origin) + pl.duration(days=pl.lit(pl.Series(di, dtype=pl.Int64)))
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
