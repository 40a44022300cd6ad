"""Look-alikes: things in a metric history that resemble a viral episode and are not one.

Each is drawn per world (a generator seeded from the world's seed, apart from the main one, so
artists, episodes and tours do not move when look-alikes change) for artists with no episode,
one kind per artist, and kept as ground truth in ``World.decoys``. Times are in days since
``World.start``; look-alikes stay clear of the days around ``present`` so the demo's and tests'
"now" is clean. Kinds (``LOOKALIKE_KINDS``), by where they act:

Audience (followers, and likes where the audience really changed):

* ``sub_threshold_step``: followers rise 15-45 % within 6-24 h and stay there.
* ``one_day_step``: followers rise 27-33 % over exactly one day and stay there.
* ``bot_burst``: followers rise 60-200 % within 6 h, hold up to 12 h and fall back to where they
  were within 12-36 h more (bots bought, then purged); likes do not move.
* ``steady_fast_growth``: 4-12 % a day, every day, for 2-5 weeks (followers, and likes as
  the new followers like new posts: the engagement rate stays as it was).
* ``tiny_fast_growth``: an account of 20-60 followers growing 35-80 % a day until just under
  850, well below the seed's 1,000-follower audience floor (followers and likes).

Measurement (what the platform reports for one metric, not the audience):

* ``glitch``: one sample (a one-hour window starting on the 6-hour grid) reads 0.5-2 % of the
  true value of followers or likes, then the true value again.
* ``reset``: followers or likes read 0 for one or two samples, then the true value again.
* ``counter_restart``: the likes counter restarts from 0 and counts up from there for good.

Observation (what a collector receives; see ``World`` functions ``observed_metrics_at`` and
``platform_down``):

* ``missing_days``: no observation of the artist on one platform for 1-3 whole UTC days (the
  APIs answer as for an unknown artist: Spotify ``null``, YouTube omits it, TikTok and
  Instagram a 400).
* ``metric_rename``: followers or likes arrive under the platform's raw field name
  (``RENAMED``) for 2-10 days, then under the canonical name again.
* ``platform_outage``: a platform returns nothing (503 in the APIs) for 4-18 hours, about
  every six weeks per platform; the windows are ``World.outages``. Every artist there is
  affected, so ``World.decoys`` names a sample of otherwise clean artists (as many in all as
  for another kind, spread over the outages) to measure false alarms on the same footing.

``World.decoys`` columns: artist_id, kind, platform, metric (the metric acted on; followers
for audience kinds, null for missing days), start and end (when the look-alike is over, e.g.
the end of a step's rise or of a glitch's sample) and size (the kind's main number: step or
burst size, daily growth rate, glitch fraction, samples at 0, days missing or renamed; 0 for
a restart, which starts again from 0).
"""

import datetime as dt

import numpy as np
import polars as pl

LOOKALIKE_KINDS = (
    "sub_threshold_step",
    "one_day_step",
    "bot_burst",
    "steady_fast_growth",
    "tiny_fast_growth",
    "glitch",
    "reset",
    "counter_restart",
    "missing_days",
    "metric_rename",
    "platform_outage",
)
STEP, ONE_DAY, BOT, STEADY, TINY, GLITCH, RESET, RESTART, MISSING, RENAME = range(10)
METRICS = ("followers", "likes")
RENAMED = {
    ("spotify", "followers"): "followers_total",
    ("spotify", "likes"): "saves",
    ("youtube", "followers"): "subscriber_count",
    ("youtube", "likes"): "like_count",
    ("tiktok", "followers"): "follower_count",
    ("tiktok", "likes"): "likes_count",
    ("instagram", "followers"): "followers_count",
    ("instagram", "likes"): "like_count",
}
TINY_CEILING = 850.0
OUTAGE_EVERY_DAYS = 45.0
SAMPLE = 0.25  # the collectors' 6-hour cadence, in days
GLITCH_DAYS = 1 / 24
_DECOY_SCHEMA = pl.Schema(
    {
        "artist_id": pl.Int64,
        "kind": pl.Utf8,
        "platform": pl.Utf8,
        "metric": pl.Utf8,
        "start": pl.Datetime("us", "UTC"),
        "end": pl.Datetime("us", "UTC"),
        "size": pl.Float64,
    }
)


def _moment(start: dt.datetime, days: np.ndarray) -> pl.Series:
    micros = np.round(np.asarray(days, dtype=np.float64) * 86_400e6).astype("int64")
    return pl.Series(micros).cast(pl.Duration("us")) + start


def _after_present(when: np.ndarray, duration: np.ndarray, present_day: float) -> np.ndarray:
    """Look-alikes still going on near the present start after it instead."""
    overlaps = (when < present_day + 2) & (when + duration > present_day - 4)
    return np.where(overlaps, present_day + 2, when)


def _avoid_present(day: np.ndarray, present_day: float, horizon: float) -> np.ndarray:
    """Move a day out of [present - 4, present + 2) (the demo's and tests' "now")."""
    near = (day >= present_day - 4) & (day < present_day + 2)
    return np.where(near, np.minimum(day + 7.0, horizon - 1.0), day)


def draw(
    seed: int,
    audience_at,
    present_mask: np.ndarray,
    episode_rows: np.ndarray,
    start: dt.datetime,
    present_day: float,
    horizon_days: int,
    rate: float,
    platforms: tuple[str, ...],
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, np.ndarray]]:
    """(decoys, outages, params) of a world.

    ``audience_at(rows, days)`` gives the (len(rows), 4) audience before any look-alike, so
    look-alikes of the audience and of measurement go to artists with at least 2,000 followers
    on the platform at the time (a look-alike nobody could mistake for news tests nothing);
    ``tiny_fast_growth`` replaces the platform's audience and may go to anyone.
    """
    rng = np.random.default_rng([seed, 0x100C])
    n = present_mask.shape[0]
    per_kind = max(3, round(rate * n)) if rate > 0 else 0
    clean = np.setdiff1d(np.arange(n), episode_rows)
    clean = clean[rng.permutation(len(clean))]
    horizon = float(horizon_days)
    day = _avoid_present(rng.uniform(14.0, horizon - 14.0, len(clean)), present_day, horizon)
    day = np.floor(day / SAMPLE) * SAMPLE  # on the 6-hour grid, so a glitch is one sample
    audience = audience_at(clean, day)
    audience = np.where(present_mask[clean], audience, -1.0)
    best = np.argmax(audience, axis=1)
    big = audience[np.arange(len(clean)), best] >= 2_000.0

    kinds = np.arange(RENAME + 1)
    ordinary = kinds[kinds != TINY]
    chosen_big = np.flatnonzero(big)[: per_kind * len(ordinary)]
    rest = np.setdiff1d(np.arange(len(clean)), chosen_big)[:per_kind]
    pick = np.concatenate([chosen_big, rest])
    kind = np.concatenate(
        [np.repeat(ordinary, per_kind)[: len(chosen_big)], np.full(len(rest), TINY)]
    )
    m = len(pick)
    row, when = clean[pick], day[pick]
    column = best[pick]
    tiny = kind == TINY
    any_present = np.argmax(present_mask[row] * rng.random((m, 4)), axis=1)
    column = np.where(tiny, any_present, column)

    u = rng.random((m, 3))
    likes_too = u[:, 2] < 0.3
    metric = np.where(((kind == GLITCH) | (kind == RESET) | (kind == RENAME)) & likes_too, 1, 0)
    metric = np.where(kind == RESTART, 1, metric)
    size = np.select(
        [kind == STEP, kind == ONE_DAY, kind == BOT, kind == STEADY, kind == TINY],
        [
            0.15 + 0.30 * u[:, 0],
            0.27 + 0.06 * u[:, 0],
            0.6 + 1.4 * u[:, 0],
            0.04 + 0.08 * u[:, 0],
            0.30 + 0.30 * u[:, 0],
        ],
        0.005 + 0.015 * u[:, 0],
    )
    # a: rise (steps), hold (bots), weeks (steady), first size (tiny), samples (reset), days
    a = np.select(
        [kind == STEP, kind == ONE_DAY, kind == BOT, kind == STEADY, kind == TINY, kind == RESET],
        [
            0.25 + 0.75 * u[:, 1],
            np.ones(m),
            0.5 * u[:, 1],
            14.0 + 21.0 * u[:, 1],
            20.0 + 40.0 * u[:, 1],
            1.0 + (u[:, 1] < 0.5),
        ],
        np.floor(1.0 + 3.0 * u[:, 1]),
    )
    a = np.where(kind == RENAME, 2.0 + 8.0 * u[:, 1], a)
    b = np.where(kind == BOT, 0.5 + 1.0 * rng.random(m), 0.0)
    when = np.where(kind == MISSING, np.floor(when), when)  # whole UTC days
    size = np.where((kind == MISSING) | (kind == RENAME) | (kind == RESET), a, size)
    size = np.where(kind == RESTART, 0.0, size)
    duration = np.select(
        [
            kind == STEP,
            kind == ONE_DAY,
            kind == BOT,
            kind == STEADY,
            kind == GLITCH,
            kind == RESET,
            kind == MISSING,
            kind == RENAME,
        ],
        [a, a, SAMPLE + a + b, a, np.full(m, GLITCH_DAYS), (a - 1) * SAMPLE + GLITCH_DAYS, a, a],
        0.0,
    )
    tiny_days = np.log(TINY_CEILING / np.where(tiny, a, 1.0)) / np.where(tiny, size, 1.0)
    duration = np.where(tiny, tiny_days, duration)
    when = _after_present(when, duration, present_day)
    params = {
        "lk_artist": row,
        "lk_platform": column,
        "lk_kind": kind,
        "lk_metric": metric,
        "lk_start": when,
        "lk_size": size,
        "lk_a": a,
        "lk_b": b,
        "lk_end": when + duration,
    }
    names = np.asarray(LOOKALIKE_KINDS)
    metric_name = np.where(kind == MISSING, None, np.asarray(METRICS)[metric])
    outages, outage_params = _draw_outages(
        rng, start, horizon, present_day, platforms, 0 if rate <= 0 else None
    )
    others = np.setdiff1d(clean, row)
    witnesses = _outage_witnesses(
        rng, outages, present_mask, others[rng.permutation(len(others))], per_kind
    )
    decoys = pl.concat(
        [
            pl.DataFrame(
                {
                    "artist_id": (row + 1).astype(np.int64),
                    "kind": names[kind],
                    "platform": np.asarray(platforms)[column],
                    "metric": pl.Series(metric_name, dtype=pl.Utf8),
                    "start": _moment(start, when),
                    "end": _moment(start, when + duration),
                    "size": np.round(size, 4),
                },
                schema=_DECOY_SCHEMA,
            ),
            witnesses,
        ]
    ).sort("start", "artist_id")
    return decoys, outages, params | outage_params


def _draw_outages(
    rng: np.random.Generator,
    start: dt.datetime,
    horizon: float,
    present_day: float,
    platforms: tuple[str, ...],
    count: int | None = None,
) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    count = max(1, round(horizon / OUTAGE_EVERY_DAYS)) if count is None else count
    column = np.repeat(np.arange(len(platforms)), count)
    day = _avoid_present(rng.uniform(7.0, horizon - 7.0, len(column)), present_day, horizon)
    day = np.round(day * 1440.0) / 1440.0  # whole minutes
    hours = np.round(rng.uniform(4.0, 18.0, len(column)) * 60.0) / 60.0
    day = _after_present(day, hours / 24.0, present_day)
    end = day + hours / 24.0
    frame = pl.DataFrame(
        {
            "platform": np.asarray(platforms)[column],
            "start": _moment(start, day),
            "end": _moment(start, end),
        }
    ).sort("start")
    return frame, {"out_platform": column, "out_start": day, "out_end": end}


def _outage_witnesses(
    rng: np.random.Generator,
    outages: pl.DataFrame,
    present_mask: np.ndarray,
    candidates: np.ndarray,
    total: int,
) -> pl.DataFrame:
    """About ``total`` otherwise clean artists, each witnessing one outage of a platform they
    are on (every artist there is affected; a sample keeps the kinds on the same footing)."""
    platforms = ("spotify", "youtube", "tiktok", "instagram")
    each = max(1, round(total / max(outages.height, 1)))
    taken = np.zeros(present_mask.shape[0], dtype=bool)
    frames = []
    for outage in outages.iter_rows(named=True):
        there = candidates[present_mask[candidates, platforms.index(outage["platform"])]]
        rows = there[~taken[there]][:each]
        taken[rows] = True
        frames.append(
            pl.DataFrame(
                {
                    "artist_id": (np.sort(rows) + 1).astype(np.int64),
                    "kind": "platform_outage",
                    "platform": outage["platform"],
                    "metric": None,
                    "start": outage["start"],
                    "end": outage["end"],
                    "size": (outage["end"] - outage["start"]).total_seconds() / 86_400,
                },
                schema=_DECOY_SCHEMA,
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame(schema=_DECOY_SCHEMA)


def _select(p: dict[str, np.ndarray], kinds: tuple[int, ...]) -> np.ndarray:
    return np.isin(p["lk_kind"], kinds)


def audience_effects(
    p: dict[str, np.ndarray],
    day: float,
    value: np.ndarray,
    wiggle: np.ndarray,
    *,
    steady: bool = True,
):
    """``value`` (n, 4) with steady fast growth multiplied in (unless ``steady`` is False) and
    tiny accounts put in place."""
    out = value.copy()
    if steady:
        sel = _select(p, (STEADY,))
        grown = np.exp(p["lk_size"][sel] * np.clip(day - p["lk_start"][sel], 0.0, p["lk_a"][sel]))
        out[p["lk_artist"][sel], p["lk_platform"][sel]] *= grown
    sel = _select(p, (TINY,))
    rows, cols = p["lk_artist"][sel], p["lk_platform"][sel]
    elapsed = np.clip(day - p["lk_start"][sel], 0.0, p["lk_end"][sel] - p["lk_start"][sel])
    out[rows, cols] = p["lk_a"][sel] * np.exp(p["lk_size"][sel] * elapsed) * wiggle[rows, cols]
    return out


def steady_audience_days(p: dict[str, np.ndarray], day: float, value: np.ndarray) -> np.ndarray:
    """(n, 4) audience-days that steady fast growth has added by ``day``, over ``value`` (the
    audience without it): the integral of ``value * (exp(g t) - 1)`` since the start, holding
    ``value`` at today's level. New followers like new posts from the day they arrive; they do
    not bring a lifetime of likes with them, so steadily fast growth moves the likes counter
    with the audience (a constant engagement rate) and is not an engagement surge."""
    extra = np.zeros_like(value)
    sel = _select(p, (STEADY,))
    g, weeks_end = p["lk_size"][sel], p["lk_a"][sel]
    elapsed = np.maximum(day - p["lk_start"][sel], 0.0)
    growing = np.minimum(elapsed, weeks_end)
    during = (np.exp(g * growing) - 1.0) / g - growing
    after = (np.exp(g * weeks_end) - 1.0) * np.maximum(elapsed - weeks_end, 0.0)
    rows, cols = p["lk_artist"][sel], p["lk_platform"][sel]
    np.add.at(extra, (rows, cols), value[rows, cols] * (during + after))
    return extra


def follower_factor(p: dict[str, np.ndarray], day: float, n: int) -> np.ndarray:
    """(n, 4) multipliers of reported followers from steps and bot bursts (likes untouched)."""
    factor = np.ones((n, 4))
    sel = _select(p, (STEP, ONE_DAY, BOT))
    kind, size, a, b = p["lk_kind"][sel], p["lk_size"][sel], p["lk_a"][sel], p["lk_b"][sel]
    elapsed = day - p["lk_start"][sel]
    step = np.clip(elapsed / np.maximum(a, 1e-9), 0.0, 1.0)
    rise = np.clip(elapsed / SAMPLE, 0.0, 1.0)
    fall = np.clip((elapsed - SAMPLE - a) / np.maximum(b, 1e-9), 0.0, 1.0)
    shape = np.where(kind == BOT, rise * (1.0 - fall), step)
    np.multiply.at(factor, (p["lk_artist"][sel], p["lk_platform"][sel]), 1.0 + size * shape)
    return factor


def measurement_faults(
    p: dict[str, np.ndarray], day: float, metric: int, value: np.ndarray, restart_base=None
) -> np.ndarray:
    """``value`` (n, 4) of one metric as the platform reports it: glitches, resets, restarts."""
    out = value.copy()
    on = (p["lk_metric"] == metric) & (p["lk_start"] <= day) & (day < p["lk_end"])
    glitch = on & (p["lk_kind"] == GLITCH)
    rows, cols = p["lk_artist"][glitch], p["lk_platform"][glitch]
    out[rows, cols] = np.round(out[rows, cols] * p["lk_size"][glitch])
    reset = on & (p["lk_kind"] == RESET)
    out[p["lk_artist"][reset], p["lk_platform"][reset]] = 0.0
    restart = (p["lk_kind"] == RESTART) & (p["lk_metric"] == metric) & (p["lk_start"] <= day)
    if restart.any() and restart_base is not None:
        rows, cols = p["lk_artist"][restart], p["lk_platform"][restart]
        out[rows, cols] = np.maximum(out[rows, cols] - restart_base[restart], 0.0)
    return out


def restart_indices(p: dict[str, np.ndarray]) -> np.ndarray:
    return np.flatnonzero(p["lk_kind"] == RESTART)
