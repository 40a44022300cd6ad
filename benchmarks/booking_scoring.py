"""booking_scoring: 25,000 artists x 200 venues (5M pairs), most pruned by market and genre
before the blend: wall time, peak memory and pruning ratio (target <= 60 s, <= 2 GB).

Data (generated here, in memory, seeded): venues spread over the simulator's 32 cities with
one or two of its 15 genres and capacities from 250 to 12,000; artists with one or two genres,
a momentum score and trend, a viral event for 5 %; each artist's audience in 8-24 cities (a
home city holding most of it, lognormal sizes), three upcoming tour dates, and 30 booked
dates per venue. The timed run is ``domain.booking.score_pairs`` exactly as the
``booking_scores`` asset calls it (without the database reads and writes).

Baseline, from the same run: the same blend with pruning off on a sample of artists (every
venue), its time per pair scaled to all 5M pairs: what scoring every pair would cost.
"""

import argparse
import datetime as dt
import resource

import numpy as np
import polars as pl

from benchmarks.common import timed, write_result
from promoteros_pipelines.domain import booking
from promoteros_pipelines.simulator.names import GENRES
from promoteros_pipelines.simulator.touring import CITIES

AS_OF = dt.date(2026, 3, 2)


def _genres(rng: np.random.Generator, n: int) -> pl.Series:
    first = np.asarray(GENRES)[rng.integers(0, len(GENRES), n)]
    second = np.asarray(GENRES)[rng.integers(0, len(GENRES), n)]
    two = rng.random(n) < 0.4
    return pl.Series(
        [[a, b] if t and a != b else [a] for a, b, t in zip(first, second, two, strict=True)]
    )


def generate(n_artists: int, n_venues: int, seed: int = 1) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    lat = np.array([c[2] for c in CITIES])
    lon = np.array([c[3] for c in CITIES])
    v_city = rng.integers(0, len(CITIES), n_venues)
    venues = pl.DataFrame(
        {
            "venue_id": np.arange(1, n_venues + 1),
            "name": [f"Room {i}" for i in range(1, n_venues + 1)],
            "city": [CITIES[c][0] for c in v_city],
            "latitude": lat[v_city] + rng.normal(0, 0.03, n_venues),
            "longitude": lon[v_city] + rng.normal(0, 0.03, n_venues),
            "capacity": rng.choice([250, 450, 800, 1500, 2500, 5000, 12000], n_venues),
            "genres": _genres(rng, n_venues),
        }
    )
    viral = rng.random(n_artists) < 0.05
    artists = pl.DataFrame(
        {
            "artist_id": np.arange(1, n_artists + 1),
            "name": [f"Artist {i}" for i in range(1, n_artists + 1)],
            "genres": _genres(rng, n_artists),
            "momentum_score": rng.uniform(0, 100, n_artists),
            "momentum_trend": rng.normal(0, 8, n_artists),
            "last_viral_at": pl.Series(
                [
                    AS_OF - dt.timedelta(days=int(d)) if v else None
                    for v, d in zip(viral, rng.integers(0, 90, n_artists), strict=True)
                ],
                dtype=pl.Date,
            ),
        }
    )
    per_artist = rng.integers(8, 25, n_artists)
    a_idx = np.repeat(np.arange(n_artists), per_artist)
    city = rng.integers(0, len(CITIES), len(a_idx))
    size = 10 ** rng.normal(4.3, 0.8, n_artists)
    share = rng.lognormal(0, 1.0, len(a_idx)) / 20
    audience = pl.DataFrame(
        {
            "artist_id": a_idx + 1,
            "latitude": lat[city],
            "longitude": lon[city],
            "listeners": np.round(size[a_idx] * share),
            "listeners_before": np.round(size[a_idx] * share * rng.uniform(0.7, 1.1, len(a_idx))),
        }
    ).unique(["artist_id", "latitude", "longitude"])
    t_idx = np.repeat(np.arange(n_artists), 3)
    t_city = rng.integers(0, len(CITIES), len(t_idx))
    tour_dates = pl.DataFrame(
        {
            "artist_id": t_idx + 1,
            "event_date": [
                AS_OF + dt.timedelta(days=int(d)) for d in rng.integers(-200, 180, len(t_idx))
            ],
            "city": [CITIES[c][0] for c in t_city],
            "latitude": lat[t_city],
            "longitude": lon[t_city],
        }
    )
    b_idx = np.repeat(np.arange(n_venues), 30)
    booked = pl.DataFrame(
        {
            "venue_id": b_idx + 1,
            "show_date": [
                AS_OF + dt.timedelta(days=int(d)) for d in rng.integers(1, 180, len(b_idx))
            ],
        }
    ).unique()
    return {
        "artists": artists,
        "venues": venues,
        "audience": audience,
        "tour_dates": tour_dates,
        "booked": booked,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artists", type=int, default=25_000)
    parser.add_argument("--venues", type=int, default=200)
    parser.add_argument("--sample-artists", type=int, default=250)
    args = parser.parse_args(argv)
    inputs = generate(args.artists, args.venues)
    total_pairs = args.artists * args.venues
    with timed() as run:
        scored = booking.score_pairs(**inputs, as_of=AS_OF)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sample_ids = inputs["artists"]["artist_id"].head(args.sample_artists)
    sample = {
        k: v.filter(pl.col("artist_id").is_in(sample_ids.implode()))
        if "artist_id" in v.columns
        else v
        for k, v in inputs.items()
    }
    sample_pairs = sample_ids.len() * args.venues
    with timed() as unpruned:
        every = booking.score_pairs(**sample, as_of=AS_OF, prune=False)
    assert every.height == sample_pairs
    per_pair = unpruned["seconds"] / sample_pairs
    result = {
        "artists": args.artists,
        "venues": args.venues,
        "pairs": total_pairs,
        "pairs_scored": scored.height,
        "pruned_share": round(1 - scored.height / total_pairs, 4),
        "audience_rows": inputs["audience"].height,
        "seconds": round(run["seconds"], 2),
        "peak_rss_mb": round(peak_mb),
        "baseline": {
            "unpruned_sample_pairs": sample_pairs,
            "unpruned_sample_seconds": round(unpruned["seconds"], 2),
            "unpruned_all_pairs_seconds_estimate": round(per_pair * total_pairs, 1),
        },
        "ratio_to_unpruned": round(per_pair * total_pairs / max(run["seconds"], 1e-3), 2),
        "targets": {"seconds": 60, "peak_mb": 2048},
    }
    print(result)
    print(write_result("booking_scoring", result))


if __name__ == "__main__":
    main()
