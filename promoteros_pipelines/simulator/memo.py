"""The world's memo: what the simulator computes once and answers many requests from.

Two lifetimes, one dict (``World._cache``): ``kept`` values do not depend on the clock and
live as long as the world; ``remembered`` values belong to one timestamp (the app asks for the
same instant many times while the clock stands) and are dropped in bulk once more than
``BOUND`` of them pile up. No import of ``world``: every simulator module may use it.
"""

from collections.abc import Callable
from typing import Protocol, TypeVar

import polars as pl

T = TypeVar("T")
BOUND = 64
_LIFELONG = "lookup"  # the first element of a kept key, which the bound never drops


class Memoised(Protocol):
    _cache: dict


def remembered(world: Memoised, key: tuple, build: Callable[[], T]) -> T:
    """``build()``, kept under ``key`` until the bounded memo next overflows."""
    if key not in world._cache:
        value = build()
        if len(world._cache) > BOUND:
            for stale in [k for k in world._cache if k[0] != _LIFELONG]:
                del world._cache[stale]
        world._cache[key] = value
    return world._cache[key]


def kept(world: Memoised, name: tuple, build: Callable[[], T]) -> T:
    """``build()``, kept for the world's life: what does not depend on the clock."""
    key = (_LIFELONG, *name)
    if key not in world._cache:
        world._cache[key] = build()
    return world._cache[key]


def first_rows_by(frame: pl.DataFrame, column: str) -> dict:
    """Each value of ``column`` -> the first row with it, as a dict (what a filter and
    ``row(0)`` give): the simulator's APIs look one artist up a request, and a filter over
    every row each time made a 25,000-artist pull quadratic."""
    firsts = frame.unique(column, keep="first", maintain_order=True)
    return dict(zip(firsts[column].to_list(), firsts.iter_rows(named=True), strict=True))
