"""A deterministic synthetic music world: artists, their platform audiences and viral episodes.

What is modelled (all of it a pure function of ``seed``, ``n_artists`` and a timestamp):

* **Artists**: id (1..n), a unique readable name (accents included), one or two genres and a
  home city. Each artist is present on each platform with a fixed probability.
* **Platform ids**: Spotify 22-char base62 ids, YouTube ``UC...`` channel ids, TikTok usernames
  (plus an open id), Instagram usernames (plus a numeric business account id).
* **Audiences** grow logistically per artist and platform, ``K / (1 + exp(-r (t - t0)))``, with
  a small weekly seasonality and hourly, hash-seeded noise, so the value at a timestamp never
  depends on what was asked before. Canonical metrics per platform: Spotify ``followers`` and
  ``popularity`` (0-100, from size and 7-day momentum); YouTube ``followers`` (subscribers,
  rounded to three significant figures as the real API does), ``views`` and ``posts`` (videos);
  TikTok ``followers``, ``likes`` and ``posts`` (videos); Instagram ``followers`` and ``posts``
  (media).
* **Likes** on every platform (all-time totals: the real audience times likes per follower,
  older posts earning a little more every day on a weekly rhythm, so the counter only goes
  up). TikTok's are pulled; Spotify's (saves), YouTube's and Instagram's arrive through
  scrapers (``SCRAPED_METRICS``; ``metrics_at(..., scraped=True)``).
* **Viral episodes**, with ground truth in ``World.episodes`` (artist_id, kind, platforms, start,
  size), drawn in ``episodes.py``: ``follower_burst``, ``engagement_surge`` (likes on any
  platform) and ``cross_platform``. A fifth start near ``present`` so a demo always has
  something going viral.
* **Look-alikes** (steps, glitches, resets, bot bursts, tiny or steadily fast accounts, missing
  days, renamed metrics, platform outages), with ground truth in ``World.decoys`` and
  ``World.outages``, drawn in ``lookalikes.py``; what a collector receives (gaps, renames) is
  ``observed.observed_metrics_at``.
* **Trending**: artists ranked by 7-day follower growth, with artists in a recent episode first;
  this feeds the Spotify "viral"/"trending" playlists and YouTube's most-popular chart.
* Touring (organisations, venues, tour dates, shows and ticket sales) lives in ``touring.py``;
  listeners by city and the ticket-demand model that sets each show's sell-through in
  ``audience.py``.
"""

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from promoteros_pipelines.simulator import audience, lookalikes, names, touring
from promoteros_pipelines.simulator.episodes import draw_episodes
from promoteros_pipelines.simulator.memo import kept, remembered

PLATFORMS = ("spotify", "youtube", "tiktok", "instagram")
PLATFORM_METRICS = {
    "spotify": ("followers", "popularity"),
    "youtube": ("followers", "views", "posts"),
    "tiktok": ("followers", "likes", "posts"),
    "instagram": ("followers", "posts"),
}
SCRAPED_METRICS = {"spotify": ("likes",), "youtube": ("likes",), "instagram": ("likes",)}
LIKES_PER_DAY = 0.004
DEFAULT_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
GENRES = names.GENRES
_PRESENCE = np.array([0.95, 0.85, 0.8, 0.9])
_AFFINITY = np.array([1.0, 0.6, 1.6, 0.8])
_DAY = 86_400.0


@dataclass(frozen=True, eq=False)
class World:
    """The generated world. Frames are public; ``params`` holds the numpy model parameters."""

    seed: int
    n_artists: int
    start: dt.datetime
    present: dt.datetime
    artists: pl.DataFrame
    platform_ids: pl.DataFrame
    episodes: pl.DataFrame
    venues: pl.DataFrame
    organisations: pl.DataFrame
    tour_dates: pl.DataFrame
    shows: pl.DataFrame
    decoys: pl.DataFrame
    outages: pl.DataFrame
    params: dict[str, np.ndarray] = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def days(self, timestamp: dt.datetime) -> float:
        return (timestamp - self.start).total_seconds() / _DAY


def generate_world(
    seed: int = 7,
    n_artists: int = 2_000,
    *,
    start: dt.datetime = DEFAULT_START,
    present_day: int = 180,
    horizon_days: int = 365,
    episode_rate: float = 0.05,
    present: dt.datetime | None = None,
    decoy_rate: float = 0.02,
) -> World:
    """Build a world; the same arguments always give the same world.

    ``present`` anchors the world in time instead of ``start`` (which then is ``present_day``
    days earlier): the same world, shifted so that its present is that moment. ``decoy_rate``
    is the share of artists given each look-alike kind (``lookalikes``; 0 for none).
    """
    if present is not None:
        start = present.astimezone(dt.UTC) - dt.timedelta(days=present_day)
    rng = np.random.default_rng(seed)
    n = n_artists
    artist_id = np.arange(1, n + 1, dtype=np.int64)
    name = names.unique_names(rng, n)
    present = start + dt.timedelta(days=present_day)

    genre_a = rng.integers(0, len(GENRES), n)
    genre_b = (genre_a + rng.integers(1, len(GENRES), n)) % len(GENRES)
    two = rng.random(n) < 0.4
    genre_list = pl.select(
        pl.concat_list(
            pl.lit(pl.Series(np.asarray(GENRES)[genre_a])),
            pl.when(pl.lit(pl.Series(two))).then(pl.lit(pl.Series(np.asarray(GENRES)[genre_b]))),
        ).list.drop_nulls()
    ).to_series()
    city = rng.integers(0, len(touring.CITIES), n)
    artists = pl.DataFrame(
        {
            "artist_id": artist_id,
            "name": name,
            "genres": genre_list,
            "home_city": pl.Series(np.asarray([c[0] for c in touring.CITIES])[city]),
            "home_country": pl.Series(np.asarray([c[1] for c in touring.CITIES])[city]),
        }
    )

    present_mask = rng.random((n, 4)) < _PRESENCE
    present_mask[:, 0] |= ~present_mask.any(axis=1)  # everyone is somewhere
    key = pl.select(names.ascii_key(pl.lit(name))).to_series()
    handle = key.str.replace_all(" ", "")
    ids = pl.DataFrame(
        {
            "artist_id": artist_id,
            "spotify": names.spotify_ids(rng, n),
            "youtube": names.youtube_channel_ids(rng, n),
            "tiktok": handle,
            "instagram": key.str.replace_all(" ", "."),
        }
    )
    open_ids = names.hex_ids(rng, n)
    ig_ids = pl.Series((17_841_400_000_000_000 + artist_id).astype(str))
    platform_ids = (
        ids.unpivot(index="artist_id", variable_name="platform", value_name="external_id")
        .with_columns(
            present=pl.Series(present_mask.T.ravel()),
            secondary_id=pl.concat(
                [pl.repeat(None, n * 2, dtype=pl.String, eager=True), open_ids, ig_ids]
            ),
        )
        .filter("present")
        .drop("present")
    )

    log_k = np.clip(rng.normal(4.6, 0.85, n), 2.5, 7.6)
    params = {
        "present": present_mask,
        "capacity": 10.0 ** log_k[:, None] * _AFFINITY * rng.lognormal(0.0, 0.4, (n, 4)),
        "rate": rng.uniform(0.006, 0.03, (n, 1)) * rng.uniform(0.8, 1.2, (n, 4)),
        "midpoint": rng.uniform(-250.0, 450.0, (n, 1)) + rng.normal(0.0, 20.0, (n, 4)),
        "season_phase": rng.uniform(0.0, 2 * np.pi, (n, 1)),
        "views_per_sub": rng.uniform(80.0, 400.0, n),
        "likes_per_follower": rng.uniform(3.0, 25.0, n),
        "posts_base": rng.integers(5, 300, (n, 4)).astype(np.float64),
        "posts_per_day": rng.uniform(0.03, 0.6, (n, 4)),
        "log_k": log_k,
    }
    # Draws the main generator does not make, so the rest of the world stays as it was.
    extra = np.random.default_rng([seed, 0x11])
    params |= {
        "likes_per_follower_all": np.column_stack(
            [
                extra.uniform(0.3, 2.0, n),
                params["views_per_sub"] * extra.uniform(0.01, 0.04, n),
                params["likes_per_follower"],
                extra.uniform(2.0, 15.0, n),
            ]
        )
    }
    episodes, expansion = draw_episodes(
        rng, extra, present_mask, start, present, horizon_days, episode_rate
    )
    params |= expansion
    decoys, outages, look = lookalikes.draw(
        seed,
        lambda rows, days: _base_audience(params, rows, days),
        present_mask,
        expansion["ep_artist"],
        start,
        present_day,
        horizon_days,
        decoy_rate,
        PLATFORMS,
    )
    params |= look
    venues, organisations = touring.draw_venues(rng, n)
    tour_dates = touring.draw_tour_dates(rng, log_k, venues, start, horizon_days)
    shows = touring.draw_shows(rng, tour_dates, venues)
    world = World(
        seed=seed,
        n_artists=n,
        start=start,
        present=present,
        artists=artists,
        platform_ids=platform_ids,
        episodes=episodes,
        venues=venues,
        organisations=organisations,
        tour_dates=tour_dates,
        shows=shows,
        decoys=decoys,
        outages=outages,
        params=params,
    )
    # Demand needs the audience by city, which needs the world: sell-through comes last.
    return replace(
        world,
        venues=touring.venue_costs(seed, venues),
        shows=shows.with_columns(audience.show_sell_through(world, shows)),
    )


def _base_audience(p: dict[str, np.ndarray], rows: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The logistic audience of ``rows`` at ``days`` (no noise, season or episodes)."""
    elapsed = days[:, None] - p["midpoint"][rows]
    return p["capacity"][rows] / (1.0 + np.exp(-p["rate"][rows] * elapsed))


def _noise(seed: int, n: int, salt: int, hour: int) -> np.ndarray:
    """Uniform(-1, 1) noise per (artist, platform), hash-seeded by ``hour`` and ``salt``."""
    idx = np.arange(n * 4, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = idx * np.uint64(0x9E3779B97F4A7C15) + np.uint64(
            (seed * 1_000_003 + salt * 7919 + hour * 104_729) % 2**63
        )
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return ((x >> np.uint64(11)).astype(np.float64) / 2.0**53 * 2.0 - 1.0).reshape(n, 4)


def _episode_gain(world: World, day: float, engagement: bool, kept: bool = False) -> np.ndarray:
    """Followers: ``size`` x within a day, 60 % kept (all of it with ``kept``: those who left
    again keep their likes). Engagement (YouTube views here; likes in ``_surge_likes``):
    ``size`` x, most of it on the first day."""
    p = world.params
    gain = np.zeros((world.n_artists, 4))
    sel = p["ep_engagement"] == engagement
    elapsed = day - p["ep_start"][sel]
    if engagement:
        value = p["ep_size"][sel] * (1.0 - np.exp(-np.maximum(elapsed, 0.0)))
    else:
        ramp = np.clip(elapsed, 0.0, 1.0)
        decay = 1.0 if kept else np.exp(-np.maximum(elapsed - 1.0, 0.0) / 30.0)
        value = p["ep_size"][sel] * ramp * (0.6 + 0.4 * decay)
    np.add.at(gain, (p["ep_artist"][sel], p["ep_platform"][sel]), value)
    return gain


def _audience(
    world: World,
    day: float,
    noisy: bool = True,
    steady: bool = True,
    liking: bool = False,
) -> np.ndarray:
    """The real audience per (artist, platform): growth, season, noise, episodes, and the
    look-alikes that are real growth (steady fast growth unless ``steady`` is False, tiny
    accounts). ``liking``: the audience behind the all-time likes counter, which only rises:
    no weekly rhythm (the catalogue has its own) and a follower burst's likes kept."""
    p = world.params
    base = p["capacity"] / (1.0 + np.exp(-p["rate"] * (day - p["midpoint"])))
    wiggle = 1.0 + (0.0 if liking else 0.004) * np.sin(2 * np.pi * day / 7.0 + p["season_phase"])
    if noisy:
        wiggle = wiggle * (1.0 + 0.002 * _noise(world.seed, world.n_artists, 1, int(day * 24)))
    wiggle = np.broadcast_to(wiggle, base.shape)
    value = lookalikes.audience_effects(
        p, day, np.maximum(base * wiggle, 0.0), wiggle, steady=steady
    )
    return value * (1.0 + _episode_gain(world, day, False, kept=liking))


def followers_at(world: World, timestamp: dt.datetime) -> np.ndarray:
    """Followers per (artist, platform) as an ``(n, 4)`` array; absent platforms are 0.

    Includes steps and bot bursts (followers that are not an audience), not glitches or resets
    (those are misreadings of one sample, applied in ``metrics_at``).
    """
    p = world.params
    day = world.days(timestamp)
    value = _audience(world, day) * lookalikes.follower_factor(p, day, world.n_artists)
    return np.where(p["present"], np.round(value + 20.0), 0.0)


def _catalogue(day: float | np.ndarray, season_phase: np.ndarray) -> np.ndarray:
    """Older posts earn LIKES_PER_DAY more a day on a weekly rhythm (the counter only rises)."""
    day = np.maximum(day, 0.0)
    phase = 2 * np.pi * day / 7.0 + season_phase
    return 1.0 + LIKES_PER_DAY * (day + 7.0 / (4 * np.pi) * np.sin(phase))


def _surge_base(world: World) -> np.ndarray:
    """Per engagement surge, the counter (in likes per follower-unit) when it began: the
    audience then times the catalogue then; computed once per world."""

    def build() -> np.ndarray:
        p = world.params
        sel = np.flatnonzero(p["ep_engagement"])
        base = np.zeros(len(sel))
        for n, k in enumerate(sel):
            i, j, start = p["ep_artist"][k], p["ep_platform"][k], p["ep_start"][k]
            audience = _audience(world, start, noisy=False, steady=False, liking=True)[i, j]
            base[n] = (audience + 20.0) * _catalogue(start, p["season_phase"][i, 0])
        return base

    return kept(world, ("surge_base",), build)


def _surge_likes(world: World, day: float) -> np.ndarray:
    """(n, 4) likes added by engagement surges, before likes per follower: ``size`` x the
    counter as it stood when the surge began, most of it on the first day, kept for good. The
    surge adds likes once; the likes the catalogue and new followers earn afterwards are not
    multiplied, so the engagement rate goes back to its usual level once the surge is over."""
    p = world.params
    gain = np.zeros((world.n_artists, 4))
    sel = p["ep_engagement"]
    elapsed = np.maximum(day - p["ep_start"][sel], 0.0)
    value = p["ep_size"][sel] * (1.0 - np.exp(-elapsed)) * _surge_base(world)
    np.add.at(gain, (p["ep_artist"][sel], p["ep_platform"][sel]), value)
    return gain


def _likes(world: World, day: float) -> np.ndarray:
    """All-time likes per (artist, platform) before misreadings: the audience (not bought
    followers, not hourly noise) times likes per follower, older posts earning more every day
    (``_catalogue``), engagement surges added (``_surge_likes``), and followers gained by
    steady fast growth liking new posts from the day they arrive."""
    p = world.params
    audience = _audience(world, day, noisy=False, steady=False, liking=True)
    newcomers = LIKES_PER_DAY * lookalikes.steady_audience_days(p, day, audience)
    catalogue = _catalogue(day, p["season_phase"])
    likes = (audience + 20.0) * catalogue + newcomers + _surge_likes(world, day)
    likes = likes * p["likes_per_follower_all"]
    return np.where(p["present"], np.round(likes), 0.0)


def _restart_base(world: World) -> np.ndarray:
    """Likes at each counter restart (per look-alike), computed once per world."""

    def build() -> np.ndarray:
        p = world.params
        base = np.zeros(len(p["lk_kind"]))
        for i in lookalikes.restart_indices(p):
            base[i] = _likes(world, p["lk_start"][i])[p["lk_artist"][i], p["lk_platform"][i]]
        return base

    return kept(world, ("restart_base",), build)


def metrics_at(world: World, timestamp: dt.datetime, *, scraped: bool = False) -> pl.DataFrame:
    """Every canonical metric of every present artist/platform at ``timestamp``, as the
    platform reports it (glitches and resets included; gaps and renames are not: see
    ``observed.observed_metrics_at``).

    ``PLATFORM_METRICS`` are what the platform clients pull; ``scraped`` adds
    ``SCRAPED_METRICS`` (likes on Spotify, YouTube and Instagram, which arrive through scraper
    webhooks; the simulated APIs show them where a real platform would, see their modules).
    Returns columns artist_id (i64), platform, metric (str), value (f64), one row per metric.
    """
    return remembered(
        world, ("metrics", timestamp, scraped), lambda: _metrics(world, timestamp, scraped)
    )


def _metrics(world: World, timestamp: dt.datetime, scraped: bool) -> pl.DataFrame:
    p = world.params
    day = world.days(timestamp)
    true_followers = followers_at(world, timestamp)
    followers = lookalikes.measurement_faults(p, day, 0, true_followers)
    week_ago = followers_at(world, timestamp - dt.timedelta(days=7))
    likes = lookalikes.measurement_faults(p, day, 1, _likes(world, day), _restart_base(world))
    views_surge = 1.0 + _episode_gain(world, day, True)[:, 1]
    season = 1.0 + 0.03 * np.sin(2 * np.pi * day / 7.0 + p["season_phase"][:, 0])
    posts = np.floor(p["posts_base"] + np.maximum(day, 0.0) * p["posts_per_day"])
    momentum = np.clip(true_followers[:, 0] / np.maximum(week_ago[:, 0], 1.0) - 1.0, 0.0, 0.3)
    popularity = np.clip(
        np.round(11.0 * np.log10(true_followers[:, 0] + 1) - 12 + 100 * momentum), 0, 100
    )
    subs = followers[:, 1]
    digits = np.maximum(np.floor(np.log10(np.maximum(subs, 1.0))) - 2, 0)
    subs_rounded = np.round(subs / 10**digits) * 10**digits
    views = true_followers[:, 1] * p["views_per_sub"] * views_surge * season
    columns = {
        ("spotify", "followers"): followers[:, 0],
        ("spotify", "popularity"): popularity,
        ("youtube", "followers"): subs_rounded,
        ("youtube", "views"): np.round(views),
        ("youtube", "posts"): posts[:, 1],
        ("tiktok", "followers"): followers[:, 2],
        ("tiktok", "likes"): likes[:, 2],
        ("tiktok", "posts"): posts[:, 2],
        ("instagram", "followers"): followers[:, 3],
        ("instagram", "posts"): posts[:, 3],
    }
    if scraped:
        columns |= {
            (platform, "likes"): likes[:, PLATFORMS.index(platform)] for platform in SCRAPED_METRICS
        }
    ids = np.arange(1, world.n_artists + 1, dtype=np.int64)
    frames = []
    for (platform, metric), values in columns.items():
        present = p["present"][:, PLATFORMS.index(platform)]
        frames.append(
            pl.DataFrame({"artist_id": ids[present], "value": values[present].astype(np.float64)})
            .with_columns(platform=pl.lit(platform), metric=pl.lit(metric))
            .select("artist_id", "platform", "metric", "value")
        )
    return pl.concat(frames)


def trending_at(world: World, timestamp: dt.datetime, platform: str = "spotify") -> pl.DataFrame:
    """Artists on ``platform`` ranked by momentum: recent episodes first, then 7-day growth.

    Returns artist_id, rank (1 = hottest), growth_7d, in_episode.
    """
    return remembered(
        world, ("trending", timestamp, platform), lambda: _trending(world, timestamp, platform)
    )


def _trending(world: World, timestamp: dt.datetime, platform: str) -> pl.DataFrame:
    col = PLATFORMS.index(platform)
    now = followers_at(world, timestamp)[:, col]
    before = followers_at(world, timestamp - dt.timedelta(days=7))[:, col]
    p = world.params
    day = world.days(timestamp)
    recent = (p["ep_platform"] == col) & (p["ep_start"] <= day) & (p["ep_start"] > day - 10)
    boost = np.zeros(world.n_artists)
    np.maximum.at(boost, p["ep_artist"][recent], p["ep_size"][recent])
    return (
        pl.DataFrame(
            {
                "artist_id": np.arange(1, world.n_artists + 1, dtype=np.int64),
                "growth_7d": now / np.maximum(before, 1.0) - 1.0,
                "in_episode": boost > 0,
                "_boost": boost,
                "_present": p["present"][:, col],
            }
        )
        .filter("_present")
        .sort(["_boost", "growth_7d", "artist_id"], descending=[True, True, False])
        .with_row_index("rank", offset=1)
        .select("artist_id", pl.col("rank").cast(pl.Int64), "growth_7d", "in_episode")
    )
