"""The numpy kernels under daily features: look-backs and windowed median/MAD, worked by hand."""

from datetime import date

import numpy as np
import polars as pl
import pytest

from promoteros_pipelines.domain.analytics.baseline import windowed_median_mad
from promoteros_pipelines.domain.analytics.grid import SeriesGrid, look_back, series_key

NAN = np.nan


def test_look_back_takes_the_nearest_day_within_tolerance():
    grid = np.array([[10.0, 20.0, NAN, NAN, 50.0, NAN, NAN, NAN, 90.0]])
    sid, di = np.zeros(4, np.int64), np.array([1, 4, 8, 0])
    values, back = look_back(grid, sid, di, 1, 2)
    # 1 to 3 days back: day 1 -> day 0 (1 back); day 4 -> day 1 (3 back, days 3 and 2 empty);
    # day 8 -> days 7, 6, 5 are all empty: none; day 0 has no earlier day
    np.testing.assert_array_equal(values, [10.0, 20.0, NAN, NAN])
    np.testing.assert_array_equal(back, [1, 3, 0, 0])


def test_look_back_from_days_back_never_looks_nearer():
    grid = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]])
    values, back = look_back(grid, np.zeros(1, np.int64), np.array([7]), 7, 2)
    assert values[0] == 1.0 and back[0] == 7


def test_median_and_mad_exclude_the_day_itself_and_average_the_middle_pair():
    # window of 4 before day 4: [1, 2, 4, 10] -> median 3; |dev| = [2, 1, 1, 7] -> MAD 1.5
    grid = np.array([[1.0, 2.0, 4.0, 10.0, 1_000.0]])
    median, mad, days = windowed_median_mad(grid, np.array([0]), np.array([4]), window=4)
    assert median[0] == pytest.approx(3.0)
    assert mad[0] == pytest.approx(1.5)
    assert days[0] == 4


def test_missing_days_and_days_before_the_grid_count_as_missing():
    # day 2 with a 4-day window reaches back before day 0: only days 0 and 1 exist, one is NaN
    grid = np.array([[NAN, 6.0, 7.0], [3.0, 5.0, NAN]])
    median, mad, days = windowed_median_mad(grid, np.array([0, 1]), np.array([2, 2]), window=4)
    np.testing.assert_array_equal(days, [1, 2])
    np.testing.assert_allclose(median, [6.0, 4.0])
    np.testing.assert_allclose(mad, [0.0, 1.0])


def test_windows_with_too_few_days_are_not_computed():
    grid = np.array([[1.0, 2.0, NAN, 3.0]])
    median, mad, days = windowed_median_mad(
        grid, np.array([0, 0]), np.array([3, 0]), window=3, min_days=3
    )
    np.testing.assert_array_equal(days, [2, 0])
    assert np.isnan(median).all() and np.isnan(mad).all()


def test_grid_cells_come_out_in_key_and_day_order_with_nulls_for_nan():
    values = pl.DataFrame(
        {
            "artist_id": [2, 1, 1, 1],
            "platform": ["spotify", "youtube", "spotify", "spotify"],
            "day": [date(2025, 1, 2), date(2025, 1, 1), date(2025, 1, 3), date(2025, 1, 1)],
            "kind": [0, 1, 0, 0],
            "value": [5.0, 7.0, 3.0, 1.0],
        }
    ).select(series_key(), "day", pl.col("kind").cast(pl.UInt8), "value")
    grid = SeriesGrid.from_values(
        values, ("followers", "views"), date(2025, 1, 1), date(2025, 1, 3)
    )
    sid, di = grid.cells(date(2025, 1, 1), date(2025, 1, 3))
    frame = grid.frame(sid, di, {"followers": grid.values["followers"][sid, di]})
    assert frame.rows() == [
        (1, "spotify", date(2025, 1, 1), 1.0),
        (1, "spotify", date(2025, 1, 3), 3.0),
        (1, "youtube", date(2025, 1, 1), None),  # present (a views value), no followers
        (2, "spotify", date(2025, 1, 2), 5.0),
    ]


def test_a_platform_outside_the_vocabulary_is_refused():
    frame = pl.DataFrame({"artist_id": [1], "platform": ["myspace"]})
    with pytest.raises(pl.exceptions.InvalidOperationError, match="myspace"):
        frame.select(series_key())
