"""A second, independent generator of metric histories, to test the viral detector on data that
our simulator (``promoteros_pipelines.simulator``) did not make.

It shares no code and no shapes with the simulator: audiences are log-normal with a piecewise
log-linear trend (a random breakpoint), followers move as a multiplicative random walk, likes
(and YouTube views) are per-sample increments with a day-of-week rhythm and log-normal noise,
and every series is sampled every 6 hours with its own fixed offset of up to 40 minutes.

Ground truth, in the shape of the issue's ``truth.json``:

* **episodes** (must be found): ``single`` (one platform's followers gain 1.8-4x over 6-18 h,
  then grow faster than before, with likes 3-8x), ``cascade`` (2-3 platforms gaining 1.4-2.5x
  each, up to 24 h apart) and ``engagement`` (likes 4-9x for 2-4 days on Spotify or YouTube,
  followers barely move; YouTube views hardly change, so only ``likes`` shows it).
* **decoys** (must not fire): ``step`` (+30 % level step within a day, kept), ``glitch`` (one
  sample of followers or likes at ~1 % of its value), ``reset`` (the likes counter restarts
  near zero), ``tiny`` (under 1,000 followers, growing 30-60 % a day), ``steady`` (4-10 % a
  day for the whole history) and ``bot`` (+25-45 % within 6 h that reverts over 1-3 days,
  likes unchanged).
"""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

PLATFORMS = ("spotify", "instagram", "tiktok", "youtube")
EPISODE_KINDS = ("single", "cascade", "engagement")
DECOY_KINDS = ("step", "glitch", "reset", "tiny", "steady", "bot")
START = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
CADENCE_HOURS = 6
LIKES_PER_FOLLOWER_DAY = {"spotify": 0.004, "instagram": 0.02, "tiktok": 0.05, "youtube": 0.003}
YOUTUBE_VIEWS_PER_FOLLOWER_DAY = 0.05
CSV_COLUMNS = ["platform", "external_id", "artist_name", "metric", "value", "observed_at"]


@dataclass(frozen=True)
class OutsideHistory:
    observations: pl.DataFrame
    """``CSV_COLUMNS`` (observed_at a UTC datetime, value a float)."""
    truth: dict
    """``{"episodes": [{artist_name, start, platforms, kind}], "decoys": [{artist_name, kind}]}``"""

    def write(self, directory: Path) -> tuple[Path, Path]:
        """``observations.csv`` and ``truth.json`` in ``directory``; returns both paths."""
        directory.mkdir(parents=True, exist_ok=True)
        csv, truth = directory / "observations.csv", directory / "truth.json"
        self.observations.with_columns(
            pl.col("observed_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        ).write_csv(csv)
        truth.write_text(json.dumps(self.truth, indent=1))
        return csv, truth


def _names(rng: np.random.Generator, n: int) -> list[str]:
    first = ["Velvet", "Neon", "Quiet", "Paper", "Golden", "Static", "Lunar", "Wild", "Glass"]
    second = ["Harbour", "Foxes", "Signal", "Orchard", "Tides", "Echo", "Parade", "Sparrow"]
    picks = rng.integers(0, [len(first), len(second)], size=(n, 2))
    return [f"{first[a]} {second[b]} {i:04d}" for i, (a, b) in enumerate(picks)]


def _assign_roles(rng: np.random.Generator, n: int) -> list[tuple[str, str | None]]:
    """(role, kind) per artist: a quarter with episodes, two fifths decoys, the rest plain."""
    roles: list[tuple[str, str | None]] = []
    n_episodes, n_decoys = n // 4, (2 * n) // 5
    roles += [("episode", EPISODE_KINDS[i % len(EPISODE_KINDS)]) for i in range(n_episodes)]
    roles += [("decoy", DECOY_KINDS[i % len(DECOY_KINDS)]) for i in range(n_decoys)]
    roles += [("plain", None)] * (n - len(roles))
    order = rng.permutation(n)
    return [roles[i] for i in order]


def generate_outside_history(
    seed: int = 1, n_artists: int = 600, days: int = 75, counter_noise: float = 0.25
) -> OutsideHistory:
    """A deterministic history of ``n_artists`` over ``days`` with its ground truth;
    ``counter_noise`` is the log-normal sigma of each 6-hourly likes (views) increment."""
    rng = np.random.default_rng(seed)
    steps = days * 24 // CADENCE_HOURS + 1
    hours = np.arange(steps) * CADENCE_HOURS + 0.0  # sample hours since START
    day = hours / 24.0
    weekday = (START.weekday() + np.floor(day).astype(int)) % 7
    weekly = np.where(weekday >= 5, 1.3, 1.0) * (1 + 0.08 * np.sin(2 * np.pi * hours / 24))
    names = _names(rng, n_artists)
    roles = _assign_roles(rng, n_artists)
    frames, episodes, decoys = [], [], []
    for name, (role, kind) in zip(names, roles, strict=True):
        present = rng.random(len(PLATFORMS)) < 0.85
        if kind == "engagement":
            present[rng.choice([0, 3])] = True
        if present.sum() < 2:
            present[rng.choice(len(PLATFORMS), 2, replace=False)] = True
        on = [p for p, here in zip(PLATFORMS, present, strict=True) if here]
        audience = np.exp(rng.normal(np.log(40_000), 1.3) + rng.normal(0, 0.6, len(on)))
        audience = np.clip(audience, 2_500, 5e7)
        log_f = np.empty((len(on), steps))
        surge = np.ones((len(on), steps))
        for i in range(len(on)):
            break_day = rng.uniform(10, days - 10)
            r1, r2 = rng.normal(0.002, 0.002, 2).clip(-0.002, 0.012)
            trend = np.where(day < break_day, r1 * day, r1 * break_day + r2 * (day - break_day))
            walk = np.cumsum(rng.normal(0, 0.0015, steps))
            log_f[i] = np.log(audience[i]) + trend + walk
        likes_glitch: tuple[int, int] | None = None
        reset: tuple[int, int] | None = None
        mid = rng.uniform(22, days - 8)  # when this artist's episode or decoy happens
        k0 = int(np.searchsorted(hours, mid * 24))
        if role == "episode":
            start, platforms = _episode(rng, kind, on, log_f, surge, hours, mid)
            episodes.append(
                {"artist_name": name, "start": start, "platforms": platforms, "kind": kind}
            )
        elif role == "decoy":
            decoys.append({"artist_name": name, "kind": kind})
            i = int(rng.integers(len(on)))
            if kind == "step":
                ramp = np.clip((hours - mid * 24) / rng.uniform(6, 24), 0, 1)
                log_f[i] += np.log(1.3) * ramp
            elif kind == "glitch":
                if rng.random() < 0.5:
                    log_f[i, k0] += np.log(rng.uniform(0.005, 0.02))
                else:
                    likes_glitch = (i, k0)
            elif kind == "reset":
                reset = (i, k0)
            elif kind == "tiny":
                base = np.log(rng.uniform(50, 250))
                growth = rng.uniform(0.3, 0.6) * np.clip(day - mid, 0, 4)
                log_f[i] = np.minimum(base + growth + (log_f[i] - log_f[i, 0]), np.log(900))
            elif kind == "steady":
                log_f[i] += rng.uniform(0.04, 0.10) * day
            elif kind == "bot":
                size = np.log(rng.uniform(1.25, 1.45))
                after = hours - mid * 24
                rise = np.clip(after / 6.0, 0, 1)
                fall = np.exp(-np.clip(after - 6, 0, None) / rng.uniform(8, 24))
                log_f[i] += size * rise * fall
        followers = np.round(np.exp(log_f))
        for i, platform in enumerate(on):
            frames += _series_rows(
                rng, name, platform, followers[i], surge[i], weekly, hours, steps, counter_noise,
                likes_glitch[1] if likes_glitch and likes_glitch[0] == i else None,
                reset[1] if reset and reset[0] == i else None,
            )  # fmt: skip
    observations = pl.concat(frames).sort("observed_at", "artist_name", "platform", "metric")
    return OutsideHistory(observations, {"episodes": episodes, "decoys": decoys})


def _episode(
    rng: np.random.Generator,
    kind: str | None,
    on: list[str],
    log_f: np.ndarray,
    surge: np.ndarray,
    hours: np.ndarray,
    mid: float,
) -> tuple[str, list[str]]:
    """Adds the episode to ``log_f``/``surge`` in place; returns its start and platforms."""
    start_hour = mid * 24
    if kind == "engagement":
        choices = [i for i, p in enumerate(on) if p in ("spotify", "youtube")]
        hit = [int(rng.choice(choices))]
    elif kind == "cascade":
        hit = list(rng.choice(len(on), min(len(on), int(rng.integers(2, 4))), replace=False))
    else:
        hit = [int(rng.integers(len(on)))]
    for n, i in enumerate(hit):
        lag = 0.0 if n == 0 else rng.uniform(0, 24)
        after = hours - start_hour - lag
        if kind == "engagement":
            length = rng.uniform(48, 96)
            surge[i] *= 1 + rng.uniform(3, 8) * ((after >= 0) & (after < length))
            log_f[i] += np.log(rng.uniform(1.05, 1.15)) * np.clip(after / length, 0, 1)
            continue
        factor = rng.uniform(1.8, 4.0) if kind == "single" else rng.uniform(1.4, 2.5)
        duration = rng.uniform(6, 18)
        burst = np.log(factor) * np.clip(after / duration, 0, 1)
        new_trajectory = rng.uniform(0.01, 0.03) * np.clip(after - duration, 0, None) / 24
        log_f[i] += burst + new_trajectory
        surge[i] *= 1 + rng.uniform(2, 7) * np.exp(-np.clip(after, 0, None) / 48) * (after >= 0)
    start = START + dt.timedelta(minutes=round(start_hour * 60))
    return start.isoformat().replace("+00:00", "Z"), sorted(on[i] for i in hit)


def _series_rows(
    rng: np.random.Generator,
    name: str,
    platform: str,
    followers: np.ndarray,
    surge: np.ndarray,
    weekly: np.ndarray,
    hours: np.ndarray,
    steps: int,
    counter_noise: float,
    likes_glitch: int | None,
    reset: int | None,
) -> list[pl.DataFrame]:
    offset = int(rng.integers(0, 41))  # minutes: each collector samples at its own time
    at = [START + dt.timedelta(hours=float(h), minutes=offset) for h in hours]
    slug = name.lower().replace(" ", "_")
    counters = {"likes": LIKES_PER_FOLLOWER_DAY[platform]}
    if platform == "youtube":
        counters["views"] = YOUTUBE_VIEWS_PER_FOLLOWER_DAY
    series = {"followers": followers}
    for metric, rate in counters.items():
        boost = surge if metric == "likes" else 1 + (surge - 1) * 0.05
        noise = np.exp(rng.normal(0, counter_noise, steps))
        per_sample = followers * rate * CADENCE_HOURS / 24 * weekly * noise * boost
        total = np.round(rng.uniform(20, 200) * followers[0] * rate + np.cumsum(per_sample))
        if reset is not None:
            total[reset:] -= total[reset] - np.round(rng.uniform(0, 50))
        if likes_glitch is not None and metric == "likes":
            total[likes_glitch] = np.round(total[likes_glitch] * rng.uniform(0.005, 0.02))
        series[metric] = total
    return [
        pl.DataFrame(
            {
                "platform": platform,
                "external_id": f"{platform}:{slug}",
                "artist_name": name,
                "metric": metric,
                "value": values.astype(np.float64),
                "observed_at": pl.Series(at, dtype=pl.Datetime("us", "UTC")),
            }
        )
        for metric, values in series.items()
    ]
