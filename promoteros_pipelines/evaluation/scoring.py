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
    decoys: pl.DataFrame | None = None,
) -> dict:
    """Scores of confirmed ``events`` (with ``confirmed_at``) against ``episodes`` in ``period``.

    ``signals`` are the signals the detector counted (for the first signal after each start).
    With a ``kind`` column on ``episodes``, recall per kind; with ``decoys`` (artist_id, kind),
    the share of decoy artists with a confirmed event that matches no episode, overall and
    per kind.
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
    extra: dict = {}
    if "kind" in wanted.columns:
        marked = wanted.with_columns(found=pl.col("episode").is_in(found["episode"].implode()))
        extra["recall_by_kind"] = _share_by_kind(marked, "found")
    if decoys is not None:
        matched = match_events(confirmed, episodes).select("event")
        false_artists = confirmed.join(matched, on="event", how="anti")["artist_id"]
        flagged = decoys.with_columns(flagged=pl.col("artist_id").is_in(false_artists.implode()))
        extra["decoys_flagged"] = flagged["flagged"].mean() if decoys.height else None
        extra["decoys_flagged_by_kind"] = _share_by_kind(flagged, "flagged")
    return {
        **extra,
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


START_BEFORE = dt.timedelta(hours=24)
START_AFTER = dt.timedelta(hours=48)


def score_against_truth(
    events: pl.DataFrame,
    episodes: pl.DataFrame,
    decoys: pl.DataFrame,
    *,
    period: tuple[dt.datetime, dt.datetime],
) -> dict:
    """Scores by the issue's definition, for histories with a ``truth.json``.

    An episode (artist_id, start, kind) is found when a confirmed event of that artist starts
    (its first signal, ``detected_at``; not ``window_start``, which is the 24h-earlier reading
    that signal was compared with) between 24 h before and 48 h after the episode's start; a
    confirmed event matching
    no episode is a false positive; dismissed and unconfirmed events are not flags. Only
    episodes starting and events confirmed within ``period`` count. ``decoys`` (artist_id,
    kind): ``decoys_flagged`` is the share of decoy artists with a confirmed event.
    """
    lo, hi = period
    confirmed = events.filter(
        pl.col("status") == "confirmed",
        pl.col("confirmed_at") >= lo,
        pl.col("confirmed_at") < hi,
    ).with_row_index("event")
    truth = episodes.filter(pl.col("start") >= lo, pl.col("start") < hi).with_row_index("episode")
    pairs = confirmed.join(truth, on="artist_id").filter(
        pl.col("detected_at") >= pl.col("start") - START_BEFORE,
        pl.col("detected_at") <= pl.col("start") + START_AFTER,
    )
    delays = pairs.group_by("episode").agg(
        delay_hours=((pl.col("confirmed_at") - pl.col("start")).dt.total_seconds() / 3600)
        .clip(lower_bound=0.0)
        .min()
    )
    found = truth.join(delays, on="episode", how="left").with_columns(
        found=pl.col("delay_hours").is_not_null()
    )
    true_events = pairs["event"].n_unique()
    precision = true_events / confirmed.height if confirmed.height else None
    recall = found["found"].mean() if truth.height else None
    f1 = (
        2 * precision * recall / (precision + recall)  # type: ignore[operator]
        if precision and recall
        else (0.0 if precision is not None and recall is not None else None)
    )
    flagged = decoys.join(
        confirmed.select("artist_id").unique(), on="artist_id", how="left", coalesce=False
    ).with_columns(flagged=pl.col("artist_id_right").is_not_null())
    delay = found.filter("found")["delay_hours"].median()
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "median_delay_hours": delay,
        "decoys_flagged": flagged["flagged"].mean() if decoys.height else None,
        "recall_by_kind": _share_by_kind(found, "found"),
        "decoys_flagged_by_kind": _share_by_kind(flagged, "flagged"),
        "median_delay_hours_by_kind": _median_delay_by_kind(found),
        "confirmed_events": confirmed.height,
        "true_events": true_events,
        "false_events": confirmed.height - true_events,
        "episodes": truth.height,
        "episodes_found": int(found["found"].sum()),
        "decoys": decoys.height,
    }


def _share_by_kind(frame: pl.DataFrame, flag: str) -> dict[str, float]:
    if frame.is_empty() or "kind" not in frame.columns:
        return {}
    shares = frame.group_by(pl.col("kind").fill_null("unlabelled")).agg(pl.col(flag).mean())
    return {kind: round(float(share), 4) for kind, share in sorted(shares.iter_rows())}


def _median_delay_by_kind(found: pl.DataFrame) -> dict[str, float]:
    if found.is_empty() or "kind" not in found.columns:
        return {}
    delays = (
        found.filter("found")
        .group_by(pl.col("kind").fill_null("unlabelled"))
        .agg(pl.col("delay_hours").median())
    )
    return {kind: round(float(hours), 1) for kind, hours in sorted(delays.iter_rows())}
