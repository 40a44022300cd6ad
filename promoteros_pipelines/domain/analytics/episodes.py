"""Viral signals grouped into one event per artist episode.

An episode is a run of an artist's signals (any platform, any type) with no silence longer than
``EpisodeRules.gap`` (72h) between consecutive signals. A signal arriving within the gap after
an open event's ``last_signal_at`` extends that event instead of opening a new one.

Status rules:

* ``confirmed``: by the model when signals carry a ``probability`` (max >= 0.5); otherwise by
  rules alone, which need evidence from the seed definitions (follower spike, engagement surge,
  cross-platform momentum; ``SEED_SIGNAL_TYPES``): two distinct (signal_type, platform) pieces
  of such evidence, or one such signal strong enough on its own: an engagement surge or
  cross-platform momentum at least ``confirm_strength`` (1.5) times its threshold; a follower
  spike whose platform's engagement responded (``ratio`` >= ``spike_min_response``: the day's
  likes or views at least twice the usual day's), or, on a platform reporting no engagement
  counter, one at 1.5x. Followers that jump while nobody likes anything (bots bought and
  purged) need a second piece of evidence, however large the jump.
  Tier-relative growth, however strong, never confirms alone and counts as evidence only beside
  an engagement surge on the same platform (``evidence_confirms``): by itself a one-day level
  step or a fast steady grower looks exactly like it. Confirmed is sticky.
* ``dismissed``: the episode closed (``as_of - last_signal_at > gap``) without being confirmed.
* ``new``: open and not (yet) confirmed.

Idempotence: a signal counts toward an existing event only if it is newer than the event's
``last_signal_at``, so re-reading the 48h signal window every 30 minutes changes nothing.
Natural key of an event: (artist_id, window_start); ``window_start`` of an existing event never
moves. Pass only open events (``last_signal_at >= as_of - gap``) as ``existing_events``.
"""

from datetime import datetime

import polars as pl

from promoteros_pipelines.domain.analytics.schema import Frame, as_lazy
from promoteros_pipelines.domain.analytics.signals import SEED_SIGNAL_TYPES, TS
from promoteros_pipelines.domain.analytics.thresholds import DEFAULT_EPISODE_RULES, EpisodeRules

EVENT_STATUSES = ("new", "confirmed", "dismissed")
STRING_LISTS = ("signal_types", "platforms", "evidence_keys")
STRINGS = pl.List(pl.Utf8)
EVENT_SCHEMA = pl.Schema(
    {
        "artist_id": pl.Int64(),
        "window_start": TS,
        "detected_at": TS,
        "last_signal_at": TS,
        "status": pl.Utf8(),
        "signal_count": pl.Int32(),
        "signal_types": STRINGS,
        "platforms": STRINGS,
        "evidence_keys": STRINGS,
        "peak_strength": pl.Float64(),
        "max_probability": pl.Float64(),
        "explanation": pl.Utf8(),
    }
)
OUTPUT_SCHEMA = pl.Schema({**EVENT_SCHEMA, "previous_status": pl.Utf8(), "change": pl.Utf8()})


def empty_events() -> pl.LazyFrame:
    """An events frame with no rows, for the first run."""
    return pl.LazyFrame(schema=EVENT_SCHEMA)


def confirms_alone(names: list[str], rules: EpisodeRules) -> pl.Expr:
    """Whether one signal is strong enough to confirm its episode by itself (``names``: the
    signal frame's columns; without ``ratio`` a follower spike needs ``confirm_strength``)."""
    strong = pl.col("strength") >= rules.confirm_strength
    response = pl.col("ratio") if "ratio" in names else pl.lit(None, dtype=pl.Float64)
    spike = pl.when(response.is_null()).then(strong).otherwise(response >= rules.spike_min_response)
    return (
        pl.when(pl.col("signal_type") == "follower_spike")
        .then(spike)
        .otherwise(strong & pl.col("signal_type").is_in(SEED_SIGNAL_TYPES))
        .fill_null(False)
    )


def evidence_confirms(keys: pl.Expr, rules: EpisodeRules = DEFAULT_EPISODE_RULES) -> pl.Expr:
    """Whether a list of evidence keys (``signal_type:platform``) confirms by rules alone.

    Seed-definition pieces count one each; tier-relative growth counts only where an engagement
    surge on the same platform corroborates it (followers far outgrowing their peers *and* the
    fans engaging: the seed's "engagement > 200 %" backing the hint, as a follower spike needs
    its engagement response), never on its own.
    """
    seed = keys.list.eval(pl.element().str.starts_with("tier_relative_growth").not_()).list.sum()
    tier = keys.list.eval(
        pl.element()
        .filter(pl.element().str.starts_with("tier_relative_growth:"))
        .str.replace("tier_relative_growth:", "engagement_surge:", literal=True)
    )
    corroborated = keys.list.set_intersection(tier).list.len() > 0
    return (seed + corroborated.cast(pl.UInt32)) >= rules.confirm_min_evidence


def _signal_rows(signals: pl.LazyFrame, rules: EpisodeRules) -> pl.LazyFrame:
    names = signals.collect_schema().names()
    probability = pl.col("probability") if "probability" in names else pl.lit(None)
    return signals.unique(["artist_id", "platform", "signal_type", "detected_at"]).select(
        "artist_id",
        "window_start",
        "detected_at",
        pl.col("detected_at").alias("last_signal_at"),
        pl.lit(None, dtype=pl.Utf8).alias("status"),
        pl.lit(1, dtype=pl.Int32).alias("signal_count"),
        pl.concat_list(pl.col("signal_type")).alias("signal_types"),
        pl.concat_list(pl.col("platform")).alias("platforms"),
        pl.concat_list(pl.concat_str("signal_type", pl.lit(":"), "platform")).alias(
            "evidence_keys"
        ),
        pl.col("strength").alias("peak_strength"),
        probability.cast(pl.Float64).alias("max_probability"),
        "explanation",
        pl.lit(False).alias("_existing"),
        confirms_alone(names, rules).alias("_alone"),
    )


def group_into_episodes(
    signals: Frame,
    existing_events: Frame,
    *,
    as_of: datetime,
    rules: EpisodeRules = DEFAULT_EPISODE_RULES,
) -> pl.LazyFrame:
    """New and updated events (``change`` = 'new' | 'updated'); unchanged events are omitted.

    ``signals``: ``SIGNAL_SCHEMA`` rows, optionally with a ``probability`` column from the model.
    ``existing_events``: open events in ``EVENT_SCHEMA``. Output: ``OUTPUT_SCHEMA``.
    """
    existing = (
        as_lazy(existing_events)
        .select(EVENT_SCHEMA.names())
        .cast(EVENT_SCHEMA)
        .with_columns(_existing=pl.lit(True), _alone=pl.lit(False))
    )
    rows = pl.concat([_signal_rows(as_lazy(signals), rules).cast(EVENT_SCHEMA), existing])
    mine = pl.col("_existing")
    existing_last = pl.col("last_signal_at").filter(mine).first()

    def keep_existing(column: str, fallback: pl.Expr) -> pl.Expr:
        return pl.when(mine.any()).then(pl.col(column).filter(mine).first()).otherwise(fallback)

    fresh = ~mine & (pl.col("detected_at") > existing_last).fill_null(True)
    episodes = (
        rows.sort(["artist_id", "last_signal_at"])
        .with_columns(
            _episode=(pl.col("last_signal_at").diff().over("artist_id") > rules.gap)
            .fill_null(False)
            .cum_sum()
            .over("artist_id")
        )
        .group_by(["artist_id", "_episode"])
        .agg(
            keep_existing("window_start", pl.col("window_start").min()).alias("window_start"),
            keep_existing("detected_at", pl.col("detected_at").min()).alias("detected_at"),
            pl.col("last_signal_at").max(),
            pl.col("status").filter(mine).first().alias("previous_status"),
            (pl.col("signal_count").filter(mine).sum() + fresh.sum())
            .cast(pl.Int32)
            .alias("signal_count"),
            fresh.sum().alias("_fresh"),
            *[
                pl.col(c).list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
                for c in STRING_LISTS
            ],
            pl.col("explanation").sort_by("peak_strength").last(),
            # a signal strong enough alone confirmed its event in the run that saw it, so
            # fresh rows suffice
            (pl.col("_alone") & ~mine).any().alias("_alone"),
            pl.col("peak_strength").max(),
            pl.col("max_probability").max(),
            mine.any().alias("_had_event"),
        )
    )
    by_rules = evidence_confirms(pl.col("evidence_keys"), rules) | pl.col("_alone")
    confirmed = (
        pl.when(pl.col("max_probability").is_not_null())
        .then(pl.col("max_probability") >= rules.confirm_probability)
        .otherwise(by_rules)
    ) | (pl.col("previous_status") == "confirmed")
    closed = pl.lit(as_of, dtype=TS) - pl.col("last_signal_at") > rules.gap
    status = (
        pl.when(confirmed)
        .then(pl.lit("confirmed"))
        .when(closed)
        .then(pl.lit("dismissed"))
        .otherwise(pl.lit("new"))
    )
    change = (
        pl.when(~pl.col("_had_event"))
        .then(pl.lit("new"))
        .when((pl.col("_fresh") > 0) | (pl.col("status") != pl.col("previous_status")))
        .then(pl.lit("updated"))
    )
    return (
        episodes.with_columns(status=status)
        .with_columns(change=change)
        .filter(pl.col("change").is_not_null())
        .select(OUTPUT_SCHEMA.names())
        .cast(OUTPUT_SCHEMA)
        .sort(["artist_id", "window_start"])
    )
