"""Who hears about an alert, on which channel, and when: the rules of the Smart Alert System.

``route`` takes pending alerts, the people who may receive them (with their stored
preferences) and how many alerts each person was already sent in the last hour, and returns one
row per (alert, recipient, channel) with a status:

* ``pending``: deliver now;
* ``deferred``: the recipient is in quiet hours (their own time zone, else the organisation's);
  deliver at the end of the quiet period, never dropped; in-app rows are silent, so never wait;
* ``capped``: the recipient already had ``max_per_hour`` alerts this hour; held back for the
  daily digest instead of buzzing a phone again.

Who: the alert's organisation, or every organisation for an alert that has none (system alerts,
market-wide viral alerts), by role (``ROLES_BY_TYPE``); a booking alert about a venue goes to
that venue's manager only. Severity below a person's ``min_severity`` routes nowhere.

System alerts (the platform watching itself) go to ops by severity: ``critical`` at once,
through quiet hours and the hourly cap; ``warning`` only in the daily digest (routed
``capped``, the digest's queue); ``info`` to no one, because the weekly ops report lists it.
"""

import datetime as dt

import polars as pl

CHANNELS = ("email", "slack", "sms", "in_app")
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
ROLES_BY_TYPE: dict[str, tuple[str, ...]] = {
    "viral": ("analyst", "exec"),
    "booking": ("exec", "venue_manager"),
    "milestone": ("exec", "ops", "venue_manager"),
    "risk": ("exec", "ops", "venue_manager"),
    "system": ("ops",),
}
DEFAULT_CHANNELS = ["email", "in_app"]
CAP_WINDOW = dt.timedelta(hours=1)

ALERT_SCHEMA = pl.Schema(
    {
        "alert_id": pl.Int64(),
        "alert_type": pl.String(),
        "severity": pl.String(),
        "organisation_id": pl.Int64(),
        "venue_id": pl.Int64(),
        "created_at": pl.Datetime("us", "UTC"),
    }
)
RECIPIENT_SCHEMA = pl.Schema(
    {
        "recipient_id": pl.Int64(),
        "organisation_id": pl.Int64(),
        "role": pl.String(),
        "venue_id": pl.Int64(),
        "time_zone": pl.String(),  # the recipient's, or the organisation's when they have none
        "channels": pl.List(pl.String()),  # null = DEFAULT_CHANNELS
        "min_severity": pl.String(),
        "quiet_start": pl.Time(),
        "quiet_end": pl.Time(),
        "max_per_hour": pl.Int32(),
        "phone": pl.String(),
    }
)
RECENT_SCHEMA = pl.Schema({"recipient_id": pl.Int64(), "alerts_last_hour": pl.Int64()})
ROUTED_SCHEMA = pl.Schema(
    {
        "alert_id": pl.Int64(),
        "recipient_id": pl.Int64(),
        "channel": pl.String(),
        "status": pl.String(),
        "next_attempt_at": pl.Datetime("us", "UTC"),
    }
)


def _role_table() -> pl.DataFrame:
    pairs = [(kind, role) for kind, roles in ROLES_BY_TYPE.items() for role in roles]
    return pl.DataFrame(pairs, schema={"alert_type": pl.String, "role": pl.String}, orient="row")


def _severity(column: str) -> pl.Expr:
    return pl.col(column).replace_strict(SEVERITY_RANK, default=0, return_dtype=pl.Int8)


def _system() -> pl.Expr:
    return pl.col("alert_type") == "system"


def audience(alerts: pl.DataFrame, recipients: pl.DataFrame) -> pl.DataFrame:
    """(alert, recipient) pairs by organisation, role, venue and minimum severity."""
    people = recipients.with_columns(pl.col("organisation_id").alias("recipient_org"))
    pairs = (
        alerts.lazy()
        .join(_role_table().lazy(), on="alert_type")
        .join(people.lazy(), on="role", suffix="_recipient")
        .filter(
            pl.col("organisation_id").is_null()
            | (pl.col("organisation_id") == pl.col("recipient_org")),
            # a booking alert about one venue goes to that venue's manager, not all of them
            (pl.col("role") != "venue_manager")
            | pl.col("venue_id").is_null()
            | (pl.col("venue_id") == pl.col("venue_id_recipient")),
            _severity("severity") >= _severity("min_severity").fill_null(0),
        )
    )
    return pairs.collect()


def _channels(pairs: pl.DataFrame) -> pl.DataFrame:
    """One row per wanted channel; SMS only with a phone number."""
    return (
        pairs.with_columns(
            pl.col("channels").fill_null(pl.lit(DEFAULT_CHANNELS, dtype=pl.List(pl.String)))
        )
        .explode("channels")
        .rename({"channels": "channel"})
        .filter(
            pl.col("channel").is_in(CHANNELS),
            (pl.col("channel") != "sms") | pl.col("phone").is_not_null(),
        )
        .unique(["alert_id", "recipient_id", "channel"], keep="first", maintain_order=True)
    )


def quiet_until(now: dt.datetime, frame: pl.DataFrame) -> pl.Series:
    """When each row's quiet hours end (UTC), or null when the person is not in quiet hours.

    Quiet hours may wrap midnight (22:00-07:00). The end is a local wall-clock time in the
    row's ``time_zone``, so across a daylight-saving change it is still 07:00 local; a wall time
    skipped by the change (02:30 on a spring-forward night) ends at the first valid time after.
    """
    out = pl.Series("quiet_until", [None] * frame.height, dtype=pl.Datetime("us", "UTC"))
    if frame.is_empty():
        return out
    indexed = frame.with_row_index("_row").with_columns(pl.col("time_zone").fill_null("UTC"))
    pieces = []
    for (zone,), group in indexed.partition_by("time_zone", as_dict=True).items():
        local_now = (
            pl.Series([now]).dt.convert_time_zone(str(zone)).dt.replace_time_zone(None).item()
        )
        today, clock = local_now.date(), local_now.time()
        start, end = pl.col("quiet_start"), pl.col("quiet_end")
        wraps = start > end
        inside = (
            pl.when(wraps)
            .then((clock >= start) | (clock < end))
            .otherwise((clock >= start) & (clock < end))
        )
        # the end is today unless the quiet period wraps and we are before midnight
        end_day = pl.when(wraps & (clock >= start)).then(pl.lit(today) + dt.timedelta(days=1))
        end_local = end_day.otherwise(pl.lit(today)).dt.combine(end)
        resolved = end_local.dt.replace_time_zone(
            str(zone), ambiguous="earliest", non_existent="null"
        ).fill_null(
            (end_local + dt.timedelta(hours=1)).dt.replace_time_zone(
                str(zone), ambiguous="earliest", non_existent="null"
            )
        )
        pieces.append(
            group.select(
                "_row",
                pl.when(start.is_not_null() & end.is_not_null() & inside)
                .then(resolved.dt.convert_time_zone("UTC"))
                .otherwise(None)
                .alias("quiet_until"),
            )
        )
    joined = pl.concat(pieces).sort("_row")["quiet_until"]
    return joined.cast(pl.Datetime("us", "UTC")).alias("quiet_until")


def route(
    alerts: pl.DataFrame,
    recipients: pl.DataFrame,
    recent: pl.DataFrame,
    now: dt.datetime,
) -> pl.DataFrame:
    """Notification rows (``ROUTED_SCHEMA``) for ``alerts``; see the module docstring.

    Args:
        alerts: ``ALERT_SCHEMA`` rows, the alerts not yet routed.
        recipients: ``RECIPIENT_SCHEMA`` rows, every person with their preferences.
        recent: ``RECENT_SCHEMA``, distinct alerts already sent or queued to each person in
            the last hour (the cap counts those first).
        now: the routing instant (timezone-aware).
    """
    pairs = audience(alerts.cast(ALERT_SCHEMA), recipients.cast(RECIPIENT_SCHEMA)).filter(
        ~(_system() & (pl.col("severity") == "info"))
    )
    if pairs.is_empty():
        return pl.DataFrame(schema=ROUTED_SCHEMA)
    # Caps count alerts, not channels: the most severe, then oldest, alerts use the allowance.
    ranked = (
        pairs.join(recent.cast(RECENT_SCHEMA), on="recipient_id", how="left")
        .sort(
            ["recipient_id", _severity("severity"), "created_at", "alert_id"],
            descending=[False, True, False, False],
        )
        .with_columns(
            (
                pl.int_range(pl.len()).over("recipient_id")
                + pl.col("alerts_last_hour").fill_null(0)
            ).alias("_position")
        )
    )
    urgent = _system() & (pl.col("severity") == "critical")
    capped = (
        pl.col("max_per_hour").is_not_null() & (pl.col("_position") >= pl.col("max_per_hour"))
    ) & ~urgent | (_system() & (pl.col("severity") == "warning"))
    rows = _channels(ranked.with_columns(capped.alias("_capped"), urgent.alias("_urgent")))
    until = quiet_until(now, rows)
    now_utc = pl.lit(now.astimezone(dt.UTC)).cast(pl.Datetime("us", "UTC"))
    deferred = until.is_not_null() & (rows["channel"] != "in_app") & ~rows["_urgent"]
    result = rows.with_columns(
        pl.when(pl.col("_capped"))
        .then(pl.lit("capped"))
        .when(pl.lit(deferred))
        .then(pl.lit("deferred"))
        .otherwise(pl.lit("pending"))
        .alias("status"),
        pl.when(pl.col("_capped"))
        .then(None)
        .when(pl.lit(deferred))
        .then(pl.lit(until))
        .otherwise(now_utc)
        .alias("next_attempt_at"),
    )
    return (
        result.select(list(ROUTED_SCHEMA))
        .cast(ROUTED_SCHEMA)
        .sort(["alert_id", "recipient_id", "channel"])
    )
