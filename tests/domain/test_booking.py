"""Booking score components on hand-worked cases (pure polars, no database)."""

import datetime as dt
import math

import polars as pl
import pytest

from promoteros_pipelines.domain import booking

AS_OF = dt.date(2026, 3, 1)
MANCHESTER = (53.4808, -2.2426)
GLASGOW = (55.8642, -4.2518)


def km(lat1, lon1, lat2, lon2) -> float:
    return pl.select(booking.haversine_km(lat1, lon1, lat2, lon2)).item()


def test_haversine_across_the_antimeridian_is_the_short_way_round():
    # one degree of longitude on the equator: 2 pi R / 360 = 111.195 km
    assert km(0.0, 179.5, 0.0, -179.5) == pytest.approx(111.195, abs=0.01)
    assert km(-16.5, 179.9, -16.5, -179.9) == pytest.approx(km(-16.5, -0.1, -16.5, 0.1))


def test_haversine_equal_distances_along_a_meridian_and_the_equator():
    assert km(0.0, 0.0, 1.0, 0.0) == pytest.approx(km(0.0, 0.0, 0.0, 1.0))
    assert km(10.0, 20.0, 10.0, 20.0) == 0.0
    assert km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=1.0)  # London-Paris


@pytest.mark.parametrize(
    ("expected", "capacity", "fit"),
    [
        (900, 600, 1.0),  # 1.5x the room: fits
        (300, 1000, 1 + math.log10(1 / 3) / 1.5),  # 0.682: a third of the room
        (50, 1000, 1 + math.log10(0.05 / 0.9) / 1.5),  # 0.163: a nearly empty room
        (10, 1000, 0.0),  # hopeless
        (3000, 300, 1 - math.log10(10 / 3)),  # 0.477: ten times the room
        (30000, 300, 0.0),  # an arena act in a 300-cap club
    ],
)
def test_capacity_fit_is_low_both_ways(expected, capacity, fit):
    value = pl.select(booking.capacity_fit(pl.lit(float(expected)), pl.lit(float(capacity))))
    assert value.item() == pytest.approx(fit, abs=1e-6)


def _scene(tour_dates: pl.DataFrame | None = None, booked: list[dt.date] = ()) -> pl.DataFrame:
    artists = pl.DataFrame(
        {
            "artist_id": [1],
            "name": ["Velvet Harbour"],
            "genres": [["indie pop"]],
            "momentum_score": [80.0],
            "momentum_trend": [10.0],
            "last_viral_at": [AS_OF - dt.timedelta(days=20)],
        }
    )
    venues = pl.DataFrame(
        {
            "venue_id": [7],
            "name": ["Albert Hall"],
            "city": ["Manchester"],
            "latitude": [MANCHESTER[0]],
            "longitude": [MANCHESTER[1]],
            "capacity": [800],
            "genres": [["indie pop"]],
        }
    )
    audience = pl.DataFrame(
        {
            "artist_id": [1],
            "latitude": [MANCHESTER[0]],
            "longitude": [MANCHESTER[1]],
            "listeners": [10_000.0],
            "listeners_before": [5_000.0],
        }
    )
    empty_dates = pl.DataFrame(
        schema={
            "artist_id": pl.Int64,
            "event_date": pl.Date,
            "city": pl.String,
            "latitude": pl.Float64,
            "longitude": pl.Float64,
        }
    )
    calendar = pl.DataFrame(
        {"venue_id": [7] * len(booked), "show_date": list(booked)},
        schema={"venue_id": pl.Int64, "show_date": pl.Date},
    )
    return booking.score_pairs(
        artists,
        venues,
        audience,
        empty_dates if tour_dates is None else tour_dates,
        calendar,
        AS_OF,
    )


def _glasgow_date(day: dt.date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "artist_id": [1],
            "event_date": [day],
            "city": ["Glasgow"],
            "latitude": [GLASGOW[0]],
            "longitude": [GLASGOW[1]],
        }
    )


def test_components_on_a_hand_worked_pair():
    row = _scene().row(0, named=True)
    assert row["momentum"] == pytest.approx(0.7 * 0.8 + 0.3 * 0.75)  # 0.785
    assert row["market"] == pytest.approx((math.log10(10_001) - 2) / 3)  # 0.667
    assert row["genre"] == 1.0
    # 5% of 10,000 listeners = 500 tickets for 800 seats: r = 0.625
    assert row["capacity_fit"] == pytest.approx(1 + math.log10(0.625 / 0.9) / 1.5)
    # lasting audience 5,000 (90 days ago), never played there: the full gap factor
    assert row["gap_market"] == pytest.approx((math.log10(5_001) - 2) / 3)
    assert row["routing"] == 0.0
    assert row["viral"] == pytest.approx(1 - 6 / 46)  # 20 days ago
    w = booking.BookingWeights()
    expected = 100 * sum(getattr(w, c) * row[c] for c in booking.COMPONENTS)
    assert row["score"] == pytest.approx(expected, abs=0.05)
    assert row["model_version"] == booking.BOOKING_VERSION
    assert "10,000 listeners in the Manchester market, so about 500 tickets" in row["explanation"]
    assert "has not played this market before" in row["explanation"]


def test_routing_uses_the_nearest_open_date():
    day = AS_OF + dt.timedelta(days=30)
    taken = [day + dt.timedelta(days=d) for d in (-3, -2, -1, 0, 1, 3)]
    row = _scene(_glasgow_date(day), booked=taken).row(0, named=True)
    distance = km(*GLASGOW, *MANCHESTER)
    assert 250 < distance < 320
    assert row["routing"] == pytest.approx(1 - distance / 400)
    assert row["components"]["open_date"] == str(day + dt.timedelta(days=2))
    assert "plays Glasgow" in row["explanation"]


def test_routing_with_no_open_date_is_zero():
    day = AS_OF + dt.timedelta(days=30)
    every_day = [day + dt.timedelta(days=d) for d in range(-3, 4)]
    row = _scene(_glasgow_date(day), booked=every_day).row(0, named=True)
    assert row["routing"] == 0.0
    assert "no tour date nearby with an open date here" in row["explanation"]


def test_routing_ignores_tour_dates_beyond_the_radius():
    far = _glasgow_date(AS_OF + dt.timedelta(days=30)).with_columns(
        latitude=pl.lit(48.8566),
        longitude=pl.lit(2.3522),  # Paris, ~ 740 km
    )
    assert _scene(far).row(0, named=True)["routing"] == 0.0


def test_gap_market_falls_after_a_recent_show_and_vanishes_with_an_announced_one():
    recent = _scene(
        _glasgow_date(AS_OF - dt.timedelta(days=90)).with_columns(
            latitude=pl.lit(MANCHESTER[0]), longitude=pl.lit(MANCHESTER[1])
        )
    ).row(0, named=True)
    assert recent["gap_market"] == pytest.approx((math.log10(5_001) - 2) / 3 * 0.5)
    announced = _scene(
        _glasgow_date(AS_OF + dt.timedelta(days=40)).with_columns(
            latitude=pl.lit(MANCHESTER[0]), longitude=pl.lit(MANCHESTER[1])
        )
    ).row(0, named=True)
    assert announced["gap_market"] == 0.0


def test_pruning_drops_pairs_without_market_or_genre():
    artists = pl.DataFrame(
        {"artist_id": [1, 2, 3], "genres": [["indie pop"], ["metal"], ["indie pop"]]}
    )
    venues = pl.DataFrame(
        {
            "venue_id": [7],
            "latitude": [MANCHESTER[0]],
            "longitude": [MANCHESTER[1]],
            "genres": [["indie pop"]],
        }
    )
    audience = pl.DataFrame(
        {
            "artist_id": [1, 2, 3],
            "latitude": [MANCHESTER[0]] * 2 + [GLASGOW[0]],
            "longitude": [MANCHESTER[1]] * 2 + [GLASGOW[1]],
            "listeners": [5_000.0, 5_000.0, 5_000.0],
        }
    )
    settings = booking.BookingSettings()
    kept = booking.candidate_pairs(artists.lazy(), venues.lazy(), audience.lazy(), settings)
    assert kept.collect()["artist_id"].to_list() == [1]  # 2: wrong genre, 3: no market here
    every = booking.candidate_pairs(
        artists.lazy(), venues.lazy(), audience.lazy(), settings, prune=False
    ).collect()
    assert every.height == 3
