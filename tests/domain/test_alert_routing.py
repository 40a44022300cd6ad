"""The alert router on hand-built preferences: roles, severity, quiet hours (with DST), caps."""

import datetime as dt

import polars as pl

from promoteros_pipelines.domain.alert_routing import (
    ALERT_SCHEMA,
    RECENT_SCHEMA,
    RECIPIENT_SCHEMA,
    route,
)

UTC = dt.UTC
NOON = dt.datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def alerts(*rows: tuple) -> pl.DataFrame:
    """(alert_id, type, severity, organisation_id, venue_id[, created_at])."""
    full = [(*row, *(() if len(row) == 6 else (NOON,))) for row in rows]
    return pl.DataFrame(full, schema=ALERT_SCHEMA, orient="row")


def person(recipient_id: int, role: str, org: int = 1, **prefs) -> dict:
    row = dict.fromkeys(RECIPIENT_SCHEMA)
    row.update(
        recipient_id=recipient_id,
        organisation_id=org,
        role=role,
        time_zone="Europe/London",
        channels=["email"],
    )
    row.update(prefs)
    return row


def people(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=RECIPIENT_SCHEMA)


NO_RECENT = pl.DataFrame(schema=RECENT_SCHEMA)


def triples(frame: pl.DataFrame) -> set[tuple]:
    return set(frame.select("alert_id", "recipient_id", "channel").iter_rows())


def test_roles_organisation_and_venue_decide_who_hears():
    staff = people(
        person(1, "analyst"),
        person(2, "exec"),
        person(3, "ops"),
        person(4, "venue_manager", venue_id=10),
        person(5, "venue_manager", venue_id=11),
        person(6, "analyst", org=2),
        person(7, "ops", org=2),
    )
    routed = route(
        alerts(
            (100, "viral", "warning", 1, None),
            (101, "system", "critical", None, None),
            (102, "booking", "info", 1, 10),
        ),
        staff,
        NO_RECENT,
        NOON,
    )
    assert triples(routed) == {
        (100, 1, "email"),
        (100, 2, "email"),
        (101, 3, "email"),  # system alerts reach ops of every organisation
        (101, 7, "email"),
        (102, 2, "email"),
        (102, 4, "email"),  # only the manager of venue 10
    }
    assert set(routed["status"]) == {"pending"}
    assert (routed["next_attempt_at"] == NOON).all()


def test_minimum_severity_channels_and_sms_needs_a_phone():
    staff = people(
        person(1, "ops", min_severity="critical", channels=["email", "slack", "in_app"]),
        person(2, "ops", channels=["sms", "email"]),
        person(3, "ops", channels=["sms"], phone="+447700900123"),
    )
    routed = route(
        alerts((1, "system", "warning", None, None), (2, "system", "critical", None, None)),
        staff,
        NO_RECENT,
        NOON,
    )
    assert triples(routed) == {
        (1, 2, "email"),
        (1, 3, "sms"),
        (2, 1, "email"),
        (2, 1, "slack"),
        (2, 1, "in_app"),
        (2, 2, "email"),
        (2, 3, "sms"),
    }


def test_quiet_hours_defer_to_local_end_and_in_app_is_not_held():
    now = dt.datetime(2026, 6, 10, 23, 30, tzinfo=UTC)  # 00:30 in London (BST), 01:30 Berlin
    staff = people(
        person(
            1, "ops", quiet_start=dt.time(22), quiet_end=dt.time(7), channels=["email", "in_app"]
        ),
        person(2, "ops", quiet_start=dt.time(1), quiet_end=dt.time(6), time_zone="Europe/Berlin"),
        person(3, "ops", quiet_start=dt.time(1), quiet_end=dt.time(6)),  # London 00:30: awake
    )
    routed = route(alerts((1, "risk", "warning", None, None)), staff, NO_RECENT, now)
    by = {(r["recipient_id"], r["channel"]): r for r in routed.iter_rows(named=True)}
    assert by[(1, "email")]["status"] == "deferred"
    assert by[(1, "email")]["next_attempt_at"] == dt.datetime(2026, 6, 11, 6, 0, tzinfo=UTC)
    assert by[(1, "in_app")]["status"] == "pending"
    assert by[(2, "email")]["status"] == "deferred"
    assert by[(2, "email")]["next_attempt_at"] == dt.datetime(2026, 6, 11, 4, 0, tzinfo=UTC)
    assert by[(3, "email")]["status"] == "pending"


def test_quiet_hours_end_on_local_time_across_daylight_saving_changes():
    quiet = {"quiet_start": dt.time(22), "quiet_end": dt.time(7)}
    staff = people(person(1, "ops", **quiet))
    alert = alerts((1, "risk", "info", None, None))
    # Spring forward in London on 29 March 2026: 07:00 BST is 06:00 UTC, not 07:00.
    spring = route(alert, staff, NO_RECENT, dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    assert spring["next_attempt_at"].item() == dt.datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    # Fall back on 25 October 2026: 07:00 GMT is 07:00 UTC.
    autumn = route(alert, staff, NO_RECENT, dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC))
    assert autumn["next_attempt_at"].item() == dt.datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    # A quiet period ending inside the skipped hour ends at the first valid time after it.
    gap = people(person(1, "ops", quiet_start=dt.time(0), quiet_end=dt.time(1, 30)))
    skipped = route(alert, gap, NO_RECENT, dt.datetime(2026, 3, 29, 0, 15, tzinfo=UTC))
    assert skipped["next_attempt_at"].item() == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_recipient_without_time_zone_and_without_preferences():
    staff = people(
        person(
            1, "ops", time_zone=None, channels=None, quiet_start=dt.time(11), quiet_end=dt.time(13)
        )
    )
    routed = route(alerts((1, "risk", "info", None, None)), staff, NO_RECENT, NOON)
    # no zone falls back to UTC (the asset fills in the organisation's zone before routing)
    assert dict(zip(routed["channel"], routed["status"], strict=True)) == {
        "email": "deferred",
        "in_app": "pending",
    }


def test_frequency_cap_keeps_the_most_severe_and_counts_the_last_hour():
    staff = people(
        person(1, "ops", max_per_hour=2, channels=["email", "slack"]),
        person(2, "ops", max_per_hour=2),
        person(3, "ops"),
    )
    batch = alerts(
        (1, "risk", "info", None, None),
        (2, "risk", "critical", None, None),
        (3, "risk", "warning", None, None),
    )
    recent = pl.DataFrame({"recipient_id": [2], "alerts_last_hour": [1]}, schema=RECENT_SCHEMA)
    routed = route(batch, staff, recent, NOON)
    status = {
        (r["alert_id"], r["recipient_id"], r["channel"]): r["status"]
        for r in routed.iter_rows(named=True)
    }
    assert status[(2, 1, "email")] == status[(2, 1, "slack")] == "pending"
    assert status[(3, 1, "email")] == status[(3, 1, "slack")] == "pending"
    assert status[(1, 1, "email")] == status[(1, 1, "slack")] == "capped"
    assert [status[(a, 2, "email")] for a in (1, 2, 3)] == ["capped", "pending", "capped"]
    assert {status[(a, 3, "email")] for a in (1, 2, 3)} == {"pending"}
    assert routed.filter(pl.col("status") == "capped")["next_attempt_at"].is_null().all()


def test_nothing_to_route():
    assert route(alerts(), people(person(1, "ops")), NO_RECENT, NOON).is_empty()
    assert route(
        alerts((1, "viral", "info", 1, None)), people(person(1, "ops")), NO_RECENT, NOON
    ).is_empty()


def test_system_alerts_by_severity_critical_now_warning_to_the_digest_info_nowhere():
    ops = people(
        person(3, "ops", channels=["email", "in_app"], max_per_hour=1),
        person(4, "ops", quiet_start=dt.time(11, 0), quiet_end=dt.time(13, 0)),
    )
    routed = route(
        alerts(
            (201, "system", "critical", None, None),
            (202, "system", "critical", None, None),
            (203, "system", "warning", None, None),
            (204, "system", "info", None, None),
        ),
        ops,
        pl.DataFrame({"recipient_id": [3], "alerts_last_hour": [5]}, schema=RECENT_SCHEMA),
        NOON,
    )
    status = {(a, r, c): s for a, r, c, s in routed.select(
        "alert_id", "recipient_id", "channel", "status").iter_rows()}  # fmt: skip
    # critical: at once, through person 3's spent hourly cap and person 4's quiet hours
    for alert in (201, 202):
        assert status[(alert, 3, "email")] == status[(alert, 4, "email")] == "pending"
    # warning: only the daily digest's queue, never a message now
    assert {s for (a, _, _), s in status.items() if a == 203} == {"capped"}
    assert routed.filter(pl.col("alert_id") == 203)["next_attempt_at"].is_null().all()
    # info: no one; the weekly ops report lists it
    assert 204 not in set(routed["alert_id"])
