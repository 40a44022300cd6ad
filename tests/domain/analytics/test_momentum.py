"""Momentum score: bounded, monotone in growth for fixed peers, and explained."""

from datetime import date

import polars as pl
import pytest

from promoteros_pipelines.domain.analytics import (
    MOMENTUM_VERSION,
    artist_momentum,
    platform_momentum,
    tier_peer_stats,
)

DAY = date(2024, 3, 1)
SCHEMA = {
    "artist_id": pl.Int64,
    "platform": pl.Utf8,
    "day": pl.Date,
    "followers": pl.Float64,
    "growth_7d": pl.Float64,
    "engagement_rate": pl.Float64,
}


def features(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        [(a, p, DAY, f, g, e) for a, p, f, g, e in rows], schema=SCHEMA, orient="row"
    )


def peers_of(rows: list[tuple]) -> pl.LazyFrame:
    return tier_peer_stats(features(rows))


PEERS = [(i, "tiktok", 20_000.0, 0.1 + 0.1 * (i % 3), 0.05) for i in range(100, 130)]


def test_score_is_bounded_for_extreme_inputs():
    rows = [
        (1, "tiktok", 0.0, -0.99, 0.0),
        (2, "tiktok", 1e10, 1_000.0, 50.0),
        (3, "tiktok", 50.0, 0.0, None),
        (4, "tiktok", 20_000.0, float("1e-12"), 1e-9),
    ]
    scores = platform_momentum(features([*rows, *PEERS])).collect()["momentum_score"]
    assert scores.null_count() == 0
    assert scores.min() >= 0.0
    assert scores.max() <= 100.0


def test_score_increases_with_growth_for_fixed_peers():
    growths = [-0.5, -0.1, 0.0, 0.05, 0.2, 0.21, 0.5, 1.0, 3.0]
    rows = [(i, "tiktok", 20_000.0, g, 0.05) for i, g in enumerate(growths)]
    frame = platform_momentum(features(rows), peers_of(PEERS)).collect().sort("artist_id")
    scores = frame["momentum_score"].to_list()
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)


def test_spotify_without_engagement_redistributes_the_weights():
    # audience: log10(100,000) = 5 -> (5 - 2) / 5 = 0.6; growth at the tier median -> 0.5
    peers = [(i, "spotify", 99_999.0, 0.02, None) for i in range(10)]
    frame = platform_momentum(features(peers)).collect()
    row = frame.filter(artist_id=0).to_dicts()[0]
    assert row["audience_component"] == pytest.approx(0.6)
    assert row["growth_component"] == pytest.approx(0.5)
    assert row["engagement_component"] is None
    assert row["momentum_score"] == pytest.approx(100 * (0.2 * 0.6 + 0.55 * 0.5) / 0.75)
    assert row["momentum_version"] == MOMENTUM_VERSION


def test_why_names_growth_tier_multiple_and_engagement():
    peers = [(i, "tiktok", 20_000.0, 0.2, 0.04) for i in range(100, 110)]
    rows = [*peers, (1, "tiktok", 20_000.0, 0.62, 0.082)]
    row = platform_momentum(features(rows)).collect().filter(artist_id=1).to_dicts()[0]
    assert row["why"] == (
        "TikTok followers +62.0% in 7 days, 3.1x the developing-tier median; engagement 8.2%"
    )
    no_history = platform_momentum(features([(1, "spotify", 10.0, None, None)])).collect()
    assert no_history["momentum_score"].to_list() == [None]
    assert "not enough history" in no_history["why"][0]


def test_artist_momentum_takes_the_best_platform():
    rows = [
        *PEERS,
        (1, "tiktok", 20_000.0, 0.9, 0.05),
        (1, "youtube", 20_000.0, 0.0, 0.05),
    ]
    frame = artist_momentum(platform_momentum(features(rows))).collect()
    row = frame.filter(artist_id=1).to_dicts()[0]
    assert row["lead_platform"] == "tiktok"
    assert row["platforms_scored"] == 2
