"""Viral events over a past period, as the 30-minute runs would have built them, in one pass.

The ``viral_events`` asset runs every 30 minutes on the signals of the last 48h; feeding each
round only the signals that appeared since the previous round is equivalent (the grouping
ignores signals an event already counted), so a whole period is replayed in one process and
each event records the round that first confirmed it. ``initial`` carries the events that
were open when the period began, so an episode running across its start is extended, not split.
"""

import datetime as dt

import polars as pl

from promoteros_pipelines.domain.analytics import EVENT_SCHEMA, group_into_episodes
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_EPISODE_RULES, EpisodeRules

KEY = ["artist_id", "window_start"]
TIMESTAMP = pl.Datetime("us", "UTC")
REPLAY_SCHEMA = pl.Schema({**EVENT_SCHEMA, "confirmed_at": TIMESTAMP})
ROUND = dt.timedelta(minutes=30)


def schedule_rounds(
    observed_at: pl.Series, start: dt.datetime, end: dt.datetime, every: dt.timedelta = ROUND
) -> list[dt.datetime]:
    """The schedule ticks in ``(start, end]`` that saw new observations: each observation
    time rounded up to the next tick (the first run that could read it), plus ``end``."""
    origin = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    micros = int(every / dt.timedelta(microseconds=1))
    since_origin = (observed_at.cast(TIMESTAMP) - origin).dt.total_microseconds()
    ticks = (-(-since_origin // micros) * micros).cast(pl.Duration("us")) + origin
    inside = ticks.filter((ticks > start) & (ticks <= end)).unique().sort().to_list()
    return sorted({*inside, end})


def replay_events(
    signals: pl.DataFrame,
    run_times: list[dt.datetime],
    *,
    rules: EpisodeRules = DEFAULT_EPISODE_RULES,
    initial: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Events (``REPLAY_SCHEMA``) after running the grouping at each of ``run_times``.

    ``signals`` may carry the model's ``probability``; ``initial`` (``REPLAY_SCHEMA``) holds
    the events open before the first round, which later signals may extend or dismiss.
    """
    events = (
        pl.DataFrame(schema=REPLAY_SCHEMA)
        if initial is None
        else initial.select(REPLAY_SCHEMA.names()).cast(REPLAY_SCHEMA)
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
            _confirmed_now=pl.when(newly).then(pl.lit(at, dtype=TIMESTAMP))
        )
        events = events.join(changed.select(KEY), on=KEY, how="anti").vstack(
            changed.join(events.select(*KEY, "confirmed_at"), on=KEY, how="left")
            .with_columns(confirmed_at=pl.coalesce("confirmed_at", "_confirmed_now"))
            .select(events.columns)
        )
    return events.sort(KEY)


def event_evidence(events: pl.DataFrame, signals: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """Each event's strongest signals in words (``evidence_signals``, at most ``limit``), as
    the live asset stores them in ``evidence``."""
    mine = (
        events.select(*KEY, "last_signal_at")
        .join(signals.select("artist_id", "detected_at", "strength", "explanation"), on="artist_id")
        .filter(pl.col("detected_at").is_between(pl.col("window_start"), pl.col("last_signal_at")))
        .sort("strength", descending=True)
        .group_by(KEY, maintain_order=True)
        .agg(evidence_signals=pl.col("explanation").head(limit))
    )
    return events.join(mine, on=KEY, how="left").with_columns(
        pl.col("evidence_signals").fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
    )
