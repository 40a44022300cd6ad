"""daily_artist_metrics + viral_signals over 10M observations, polars vs a plain pandas version.

Data: ``--artists`` (25,000) x 4 platforms x ``--days`` (100) daily followers observations
(10,000,000 rows, stored in arrival order), steady growth with noise, and 1% of
artist-platforms given a one-day jump of 60-200% on a random day. Each side runs in its own
subprocess (so its peak RSS is its own) and writes the set of artists it flagged; the two sets
must be equal.

* polars (our domain code, run the way the assets run): the daily features of every day in
  14-day backfill runs (the asset's backfill policy), each reading only its observation window
  and writing its rows to a parquet file standing in for the daily_artist_metrics table; then
  the detector over one week at a time (plus the 48 h its cross-platform rule looks back),
  reading back only the baseline columns it uses.
* pandas: the same rules written the obvious way over the whole frame in memory.

Engagement surges are not exercised (no engagement counters in this data) and database I/O is
not measured (parquet stands in for the tables on the polars side).
"""

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.common import write_result
from promoteros_pipelines.defs.analytics.assets import FEATURE_BACKFILL_DAYS as CHUNK_DAYS

PLATFORMS = ["spotify", "youtube", "tiktok", "instagram"]
START = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
SIGNAL_WINDOW_DAYS = 7
"""Days per detector pass: a week keeps one pass's working set small."""
OVERLAP = dt.timedelta(hours=48)
"""The cross-platform rule pairs movements up to 48 h apart, so each window re-reads 48 h."""


def make_data(artists: int, days: int, path: Path, seed: int = 3) -> int:
    rng = np.random.default_rng(seed)
    series = artists * len(PLATFORMS)
    base = 10 ** rng.uniform(2.5, 6.5, series)
    rate = rng.uniform(0.0, 0.02, series)
    steps = rate[:, None] + rng.normal(0.0, 0.003, (series, days))
    spiking = rng.random(series) < 0.01
    steps[spiking, rng.integers(40, days, spiking.sum())] += rng.uniform(0.47, 1.1, spiking.sum())
    values = np.round(base[:, None] * np.exp(np.cumsum(steps, axis=1)))
    frame = pl.DataFrame(
        {
            "artist_id": np.repeat(np.arange(1, artists + 1, dtype=np.int64), 4 * days),
            "platform": np.tile(np.repeat(PLATFORMS, days), artists),
            "day": np.tile(np.arange(days, dtype=np.int64), series),
            "value": values.ravel(),
        }
    ).select(
        "artist_id",
        "platform",
        pl.lit("followers").alias("metric"),
        (pl.lit(START) + pl.duration(days=pl.col("day"))).alias("observed_at"),
        "value",
    )
    # In arrival order, like the metric_observations table: a run reading a time window then
    # touches only the row groups of that window, as an index range scan would.
    frame.sort("observed_at", "artist_id", "platform").write_parquet(path, row_group_size=200_000)
    return frame.height


def run_polars(data: Path, workdir: Path) -> set[int]:
    """The assets' way: 14-day backfill runs, each writing its features (the stand-in for the
    daily_artist_metrics table), then the detector over consecutive windows reading back only
    the baseline columns it needs, with the 48 h overlap its cross-platform rule looks back."""
    from promoteros_pipelines.domain.analytics import (
        daily_features,
        detect_viral_signals,
        observation_window,
    )
    from promoteros_pipelines.domain.analytics.movements import BASELINE_COLUMNS

    obs = pl.scan_parquet(data)
    bounds = obs.select(
        pl.col("observed_at").min().alias("lo"), pl.col("observed_at").max().alias("hi")
    )
    first, last = bounds.collect().row(0)
    for start, end in _spans(first.date(), last.date(), CHUNK_DAYS):
        window = obs.filter(
            pl.col("observed_at") >= _midnight(observation_window(start)),
            pl.col("observed_at") < _midnight(end + dt.timedelta(days=1)),
        )
        daily_features(window, start=start, end=end).collect().write_parquet(
            workdir / f"features-{start}.parquet"
        )
    table = pl.scan_parquet(workdir / "features-*.parquet").select(
        "artist_id", "platform", "day", *BASELINE_COLUMNS
    )
    flagged: set[int] = set()
    for start, end in _spans(first.date(), last.date(), SIGNAL_WINDOW_DAYS):
        since = _midnight(start)
        as_of = min(_midnight(end + dt.timedelta(days=1)), last)
        signals = detect_viral_signals(
            obs,
            table.filter(pl.col("day") >= start - dt.timedelta(days=7), pl.col("day") <= end),
            as_of=as_of,
            lookback=as_of - since + OVERLAP,
        ).filter(pl.col("detected_at") > since)
        flagged |= set(signals.select("artist_id").collect()["artist_id"].to_list())
    return flagged


def _spans(first: dt.date, last: dt.date, days: int) -> list[tuple[dt.date, dt.date]]:
    """Consecutive [start, end] day ranges of ``days`` days covering first..last."""
    starts = [first + dt.timedelta(days=n) for n in range(0, (last - first).days + 1, days)]
    return [(start, min(start + dt.timedelta(days=days - 1), last)) for start in starts]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def run_pandas(data: Path) -> set[int]:
    """The same rules written the obvious pandas way (groupby, shift, rolling apply)."""
    import pandas as pd

    obs = pd.read_parquet(data).sort_values(["artist_id", "platform", "observed_at"])
    obs["day"] = obs["observed_at"].dt.tz_convert("UTC").dt.normalize()
    daily = obs.groupby(["artist_id", "platform", "day"], as_index=False)["value"].last()
    daily = daily.rename(columns={"value": "followers"})
    g = daily.groupby(["artist_id", "platform"])
    gap = (daily["day"] - g["day"].shift(1)).dt.days
    prev = g["followers"].shift(1)
    daily["growth_1d"] = np.where(
        (gap <= 2) & (prev > 0), (daily["followers"] / prev) ** (1.0 / gap) - 1.0, np.nan
    )
    growth = daily.groupby(["artist_id", "platform"])["growth_1d"]
    window = growth.rolling(28, min_periods=7, closed="left")
    daily["median"] = window.median().reset_index(level=[0, 1], drop=True)
    mad = growth.rolling(28, min_periods=7, closed="left").apply(
        lambda x: np.median(np.abs(x[~np.isnan(x)] - np.median(x[~np.isnan(x)]))), raw=True
    )
    daily["mad"] = mad.reset_index(level=[0, 1], drop=True)

    moves = obs.copy()
    moves["value_before"] = moves.groupby(["artist_id", "platform"])["value"].shift(1)
    moves["prior_at"] = moves.groupby(["artist_id", "platform"])["observed_at"].shift(1)
    moves = moves[(moves["observed_at"] - moves["prior_at"]) == pd.Timedelta(hours=24)].copy()
    moves["growth"] = np.where(
        moves["value_before"] > 0, moves["value"] / moves["value_before"] - 1.0, np.nan
    )
    moves["baseline_day"] = moves["day"] - pd.Timedelta(days=2)
    base = daily[["artist_id", "platform", "day", "median", "mad"]].rename(
        columns={"day": "baseline_day"}
    )
    moves = moves.merge(base, on=["artist_id", "platform", "baseline_day"], how="left")
    scale = np.maximum(moves["mad"] * 1.4826, 0.002)
    moves["growth_z"] = (moves["growth"] - moves["median"]) / scale
    floor = moves["value_before"] >= 1000
    flagged = set(moves.loc[(moves["growth"] > 0.5) & floor, "artist_id"])

    bounds = [-np.inf, 10_000, 100_000, 1_000_000, np.inf]
    moves["tier"] = pd.cut(moves["value_before"], bounds, right=False, labels=False)
    peers = moves.groupby(["platform", "tier", "day"])["growth"]
    moves["peer_median"] = peers.transform("median")
    moves["peer_count"] = peers.transform("count")
    moves["deviation"] = (moves["growth"] - moves["peer_median"]).abs()
    moves["peer_mad"] = moves.groupby(["platform", "tier", "day"])["deviation"].transform("median")
    peer_z = (moves["growth"] - moves["peer_median"]) / np.maximum(
        moves["peer_mad"] * 1.4826, 0.005
    )
    flagged |= set(moves.loc[(peer_z > 6.0) & (moves["peer_count"] >= 20) & floor, "artist_id"])

    triggers = moves.loc[
        (moves["growth_z"] > 3.5) & floor, ["artist_id", "platform", "observed_at"]
    ]
    pairs = triggers.merge(triggers, on="artist_id", suffixes=("", "_other"))
    lag = pairs["observed_at"] - pairs["observed_at_other"]
    pairs = pairs[(lag >= pd.Timedelta(0)) & (lag < pd.Timedelta(hours=48))]
    platforms = pairs.groupby(["artist_id", "observed_at"])["platform_other"].nunique()
    flagged |= set(platforms[platforms >= 2].index.get_level_values("artist_id"))
    return {int(a) for a in flagged}


def _side(name: str, data: Path, out: Path) -> None:
    start = time.perf_counter()
    flagged = run_polars(data, out.parent) if name == "polars" else run_pandas(data)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "flagged": sorted(flagged)}))


def _measure(name: str, data: Path, workdir: Path) -> dict:
    out = workdir / f"{name}.json"
    cmd = [sys.executable, "-m", "benchmarks.analytics_bench", "--side", name, "--data", str(data)]
    subprocess.run([*cmd, "--out", str(out)], check=True)
    return json.loads(out.read_text())


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="analytics_bench")
    parser.add_argument("--artists", type=int, default=25_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--side", choices=["polars", "pandas"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.side:
        _side(args.side, args.data, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = workdir / "observations.parquet"
        rows = make_data(args.artists, args.days, data)
        print(f"{rows:,} observations ({args.artists:,} artists x 4 platforms x {args.days} days)")
        sides = {name: _measure(name, data, workdir) for name in ("polars", "pandas")}
    same = sides["polars"]["flagged"] == sides["pandas"]["flagged"]
    ratio = sides["pandas"]["seconds"] / sides["polars"]["seconds"]
    for name, side in sides.items():
        print(
            f"{name:<7} {side['seconds']:8.1f} s  peak {side['peak_mb']:7.0f} MB  "
            f"{len(side['flagged']):,} artists flagged"
        )
    print(f"polars is {ratio:.1f}x faster than pandas; same artists flagged: {same}")
    only = {
        "only_polars": sorted(set(sides["polars"]["flagged"]) - set(sides["pandas"]["flagged"])),
        "only_pandas": sorted(set(sides["pandas"]["flagged"]) - set(sides["polars"]["flagged"])),
    }
    path = write_result(
        "analytics_bench",
        {
            "observations": rows,
            "artists": args.artists,
            "days": args.days,
            "speedup_vs_pandas": ratio,
            "same_artists_flagged": same,
            **{
                name: {
                    "seconds": s["seconds"],
                    "peak_mb": s["peak_mb"],
                    "flagged": len(s["flagged"]),
                }
                for name, s in sides.items()
            },
            "differences": {k: v[:50] for k, v in only.items()},
        },
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
