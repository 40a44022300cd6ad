"""The suite's verdicts hold each benchmark to its issue's target, not to a weaker one."""

from benchmarks.summaries import analytics_bench


def _analytics(observations: int, speedup: float, peak_mb: float, same: bool = True) -> dict:
    return {
        "observations": observations,
        "speedup_vs_pandas": speedup,
        "same_artists_flagged": same,
        "polars": {"seconds": 100 / speedup, "peak_mb": peak_mb},
        "pandas": {"seconds": 100.0, "peak_mb": 4800.0},
    }


def test_analytics_needs_five_times_pandas_within_two_gigabytes_at_ten_million():
    assert analytics_bench(_analytics(10_000_000, 5.3, 1_900))["pass"] is True
    # faster than pandas, but not the 5x: this passed before
    assert analytics_bench(_analytics(10_000_000, 2.8, 1_900))["pass"] is False
    assert analytics_bench(_analytics(10_000_000, 6.0, 3_416))["pass"] is False


def test_a_small_analytics_run_is_judged_only_on_the_artists_it_flags():
    assert analytics_bench(_analytics(40_000, 1.2, 300))["pass"] is None
    assert analytics_bench(_analytics(40_000, 9.0, 300, same=False))["pass"] is False
