"""Replays the ``viral_events`` asset over time: one grouping run per observation round.

The asset runs every 30 minutes on the signals of the last 48h; feeding each run the signals
that appeared since the previous one is equivalent (the grouping ignores signals it already
counted) and lets the replay record when each event was first confirmed.
"""

import datetime as dt

import polars as pl

from promoteros_pipelines.domain.analytics import EVENT_SCHEMA, empty_events, group_into_episodes
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_EPISODE_RULES, EpisodeRules

KEY = ["artist_id", "window_start"]


def replay_events(
    signals: pl.DataFrame,
    run_times: list[dt.datetime],
    *,
    rules: EpisodeRules = DEFAULT_EPISODE_RULES,
) -> pl.DataFrame:
    """Events (``EVENT_SCHEMA`` + ``confirmed_at``) after running the grouping at each time."""
    events = (
        empty_events()
        .collect()
        .with_columns(confirmed_at=pl.lit(None, dtype=pl.Datetime("us", "UTC")))
    )
    signals = signals.sort("detected_at")
    times = pl.Series(signals["detected_at"])
    previous: dt.datetime | None = None
    for at in run_times:
        lo = 0 if previous is None else times.search_sorted(previous, side="right")
        hi = times.search_sorted(at, side="right")
        previous = at
        # as the asset: events a signal may extend, and unconfirmed ones that may be dismissed
        open_events = events.filter(
            (pl.col("status") == "new") | (pl.col("last_signal_at") >= at - rules.gap)
        )
        if hi == lo and open_events.filter(pl.col("status") == "new").is_empty():
            continue
        changed = group_into_episodes(
            signals.slice(lo, hi - lo),
            open_events.select(EVENT_SCHEMA.names()),
            as_of=at,
            rules=rules,
        ).collect()
        if changed.is_empty():
            continue
        newly = (pl.col("status") == "confirmed") & (
            pl.col("previous_status") != "confirmed"
        ).fill_null(True)
        changed = changed.with_columns(
            _confirmed_now=pl.when(newly).then(pl.lit(at, dtype=pl.Datetime("us", "UTC")))
        )
        events = events.join(changed.select(KEY), on=KEY, how="anti").vstack(
            changed.join(events.select(*KEY, "confirmed_at"), on=KEY, how="left")
            .with_columns(confirmed_at=pl.coalesce("confirmed_at", "_confirmed_now"))
            .select(events.columns)
        )
    return events.sort(KEY)
