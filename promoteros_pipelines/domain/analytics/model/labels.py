"""Labels from what happened next: was the movement a viral episode?

A viral episode is a burst of growth rate followed by a new trajectory; a level shift (a step,
then the old trend) and a glitch (a value that departs and returns) are not. A signal is
positive when, on any of the artist's platforms, either

* followers 14 days after the day before the window began grew at least ``MIN_EXCESS`` (15%)
  more than over the 14 days before it (growth beyond the artist's own trend, so fast organic
  growers are not "viral" just for growing) **and** the movement is not a mere level shift:
  either the growth from day 4 to day 14 after it beats the 10 days before it by
  ``MIN_NEW_TRAJECTORY`` (3%), or the jump itself was at least ``MIN_SPIKE_EXCESS`` (50%, the
  seed's follower-spike size); a glitch leaves no excess at all (daily rows exclude it); and
  the movement began with a burst: followers rose at least ``MIN_BURST`` (10%) in the first
  two days, and ``BURST_OVER_TRAJECTORY`` (3) times what two days of the trajectory after it
  add (steady fast growth is a new trajectory without a burst: fast, but not viral), or
* engagements over those 15 days add up to at least ``MIN_ENGAGEMENT_MULTIPLE`` (3x) what the
  28-day baseline engagement rate predicts for each day's followers (fans who grow with the
  audience at the usual rate are not a surge).

Signals whose 14 days are not over yet have no label (null) and are not trained on.
"""

import datetime as dt

import polars as pl

HORIZON_DAYS = 14
MIN_EXCESS = 0.15
MIN_ENGAGEMENT_MULTIPLE = 3.0
MIN_NEW_TRAJECTORY = 0.03
MIN_SPIKE_EXCESS = 0.50
MIN_BURST = 0.10
BURST_OVER_TRAJECTORY = 3.0
SIGNAL_KEY = ["artist_id", "platform", "signal_type", "detected_at"]
SERIES = ["artist_id", "series_platform"]


def _followers_shifted(daily: pl.LazyFrame, days: int, name: str) -> pl.LazyFrame:
    """Followers of ``day + days`` keyed by ``day`` (so a join on d0 reads that other day)."""
    return daily.select(
        "artist_id",
        "series_platform",
        (pl.col("day") - dt.timedelta(days=days)).alias("d0"),
        pl.col("followers").alias(name),
    )


def viral_episode_labels(
    signals: pl.DataFrame, daily: pl.DataFrame, *, as_of: dt.datetime
) -> pl.DataFrame:
    """``SIGNAL_KEY`` + ``label`` (1/0; null while the 14 days are not over). Works on empty
    signals or daily rows (every label is then null or 0)."""
    d = daily.lazy().select(
        "artist_id",
        pl.col("platform").alias("series_platform"),
        "day",
        "followers",
        "engagements",
        "engagement_rate_baseline_median",
    )
    anchors = (
        signals.lazy()
        .select(*SIGNAL_KEY, d0=pl.col("window_start").dt.date() - dt.timedelta(days=1))
        .unique(SIGNAL_KEY)
        .join(d.select(SERIES).unique(), on="artist_id")
    )
    on = [*SERIES, "d0"]
    excess = (
        anchors.join(_followers_shifted(d, 0, "f0"), on=on)
        .join(_followers_shifted(d, HORIZON_DAYS, "f_after"), on=on, how="left")
        .join(_followers_shifted(d, -HORIZON_DAYS, "f_before"), on=on, how="left")
        .join(_followers_shifted(d, 4, "f_settled"), on=on, how="left")
        .join(_followers_shifted(d, -10, "f_pre"), on=on, how="left")
        .join(_followers_shifted(d, 2, "f_burst"), on=on, how="left")
        .with_columns(
            excess=(pl.col("f_after") / pl.col("f0"))
            / (pl.col("f0") / pl.col("f_before")).fill_null(1.0)
            - 1.0,
            new_trajectory=(pl.col("f_after") / pl.col("f_settled"))
            / (pl.col("f0") / pl.col("f_pre")).fill_null(1.0)
            - 1.0,
            burst=pl.col("f_burst") / pl.col("f0") - 1.0,
            # two days of the trajectory from day 4 to day 14
            trajectory=(pl.col("f_after") / pl.col("f_settled")).pow(2.0 / 10.0) - 1.0,
        )
        .with_columns(
            viral=(pl.col("excess") >= MIN_EXCESS)
            & (
                (pl.col("new_trajectory") >= MIN_NEW_TRAJECTORY)
                | (pl.col("excess") >= MIN_SPIKE_EXCESS)
            )
            & (pl.col("burst") >= MIN_BURST)
            & (pl.col("burst") >= BURST_OVER_TRAJECTORY * pl.col("trajectory"))
        )
        .group_by(SIGNAL_KEY)
        .agg(viral=pl.col("viral").fill_null(False).any())
    )
    window = (pl.col("day") >= pl.col("d0")) & (
        pl.col("day") <= pl.col("d0") + dt.timedelta(days=HORIZON_DAYS)
    )
    surge = (
        anchors.join(d, on=SERIES)
        .filter(window)
        .group_by([*SIGNAL_KEY, "series_platform"])
        .agg(
            engaged=pl.col("engagements").sum(),
            expected=(
                pl.col("engagement_rate_baseline_median").sort_by("day").first()
                * pl.col("followers").filter(pl.col("engagements").is_not_null())
            ).sum(),
        )
        .group_by(SIGNAL_KEY)
        .agg(surge=(pl.col("engaged") >= MIN_ENGAGEMENT_MULTIPLE * pl.col("expected")).any())
    )
    over = pl.col("detected_at").dt.date() + dt.timedelta(days=HORIZON_DAYS) < as_of.date()
    positive = pl.col("viral").fill_null(False) | pl.col("surge").fill_null(False)
    return (
        signals.lazy()
        .select(SIGNAL_KEY)
        .unique()
        .join(excess, on=SIGNAL_KEY, how="left")
        .join(surge, on=SIGNAL_KEY, how="left")
        .with_columns(label=pl.when(over).then(positive.cast(pl.Int8)))
        .select(*SIGNAL_KEY, "label")
        .collect()
    )
