"""Events against ground truth: precision, recall, F1 and detection delay.

An event *matches* an episode of the same artist when its span ``[window_start, last_signal_at]``
(widened by ``MATCH_SLACK`` at the start, as growth is compared with 24h earlier) contains the
episode start. Precision counts confirmed events; recall counts the *newsworthy* episodes (at
least one affected platform at or above the audience floor just before it started, since
"100 -> 160 followers is not news" by design) that a confirmed event matched. Delay is from the
episode start to the first moment the detector both had a signal after the start and had the
event confirmed.
"""

import datetime as dt

import polars as pl

MATCH_SLACK = dt.timedelta(hours=36)
METRIC_KEYS = ("precision", "recall", "f1", "median_delay_hours")


def newsworthy_episodes(
    episodes: pl.DataFrame, observations: pl.DataFrame, audience_floor: float
) -> pl.DataFrame:
    """``episodes`` with ``newsworthy``: an affected platform had >= floor followers before."""
    before = (
        episodes.with_row_index("episode")
        .explode("platforms")
        .rename({"platforms": "platform"})
        .join(
            observations.filter(pl.col("metric") == "followers").select(
                "artist_id", "platform", "observed_at", "value"
            ),
            on=["artist_id", "platform"],
        )
        .filter(
            pl.col("observed_at") <= pl.col("start"),
            pl.col("observed_at") > pl.col("start") - dt.timedelta(days=1),
        )
        .group_by("episode")
        .agg(newsworthy=(pl.col("value") >= audience_floor).any())
    )
    return (
        episodes.with_row_index("episode")
        .join(before, on="episode", how="left")
        .with_columns(pl.col("newsworthy").fill_null(False))
    )


def match_events(events: pl.DataFrame, episodes: pl.DataFrame) -> pl.DataFrame:
    """Pairs (event, episode) of the same artist whose span contains the episode start."""
    return events.join(episodes, on="artist_id").filter(
        pl.col("start") >= pl.col("window_start") - MATCH_SLACK,
        pl.col("start") <= pl.col("last_signal_at"),
    )


def score(
    events: pl.DataFrame,
    episodes: pl.DataFrame,
    signals: pl.DataFrame,
    *,
    period: tuple[dt.datetime, dt.datetime],
) -> dict[str, float | int | None]:
    """Scores of confirmed ``events`` (with ``confirmed_at``) against ``episodes`` in ``period``.

    ``signals`` are the signals the detector counted (for the first signal after each start).
    """
    lo, hi = period
    confirmed = events.filter(
        pl.col("status") == "confirmed",
        pl.col("confirmed_at") >= lo,
        pl.col("confirmed_at") < hi,
    ).with_row_index("event")
    truth = episodes.filter(pl.col("start") >= lo, pl.col("start") < hi)
    true_events = match_events(confirmed, episodes)["event"].n_unique()
    pairs = match_events(confirmed, truth)
    first_signal = (
        pairs.join(signals.select("artist_id", "detected_at"), on="artist_id")
        .filter(pl.col("detected_at") >= pl.col("start"))
        .group_by("episode", "event")
        .agg(pl.col("detected_at").min().alias("first_signal_at"))
    )
    detected = (
        pairs.join(first_signal, on=["episode", "event"], how="left")
        .with_columns(found_at=pl.max_horizontal("confirmed_at", "first_signal_at"))
        .with_columns(delay_hours=(pl.col("found_at") - pl.col("start")).dt.total_seconds() / 3600)
        .group_by("episode")
        .agg(pl.col("delay_hours").min(), pl.col("newsworthy").first())
    )
    wanted = truth.filter("newsworthy")
    found = detected.filter("newsworthy")
    precision = true_events / confirmed.height if confirmed.height else None
    recall = found.height / wanted.height if wanted.height else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision and recall
        else (0.0 if precision is not None and recall is not None else None)
    )
    delay = found["delay_hours"].median() if found.height else None
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "median_delay_hours": delay,
        "confirmed_events": confirmed.height,
        "true_events": true_events,
        "episodes": wanted.height,
        "episodes_found": found.height,
        "episodes_all": truth.height,
        "episodes_all_found": detected.height,
    }
