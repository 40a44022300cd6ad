"""Data validation against a real warehouse: every check passes on good tables and fails on a
hand-broken one; auto-fixes change exactly the rows they report, and every finding is logged."""

import datetime as dt

import psycopg
import pytest

from promoteros_pipelines.defs.operations import validation
from promoteros_pipelines.defs.operations.store import latest_findings
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.defs.operations.seed import NOW, seed_world

OBS = "metric_observations"


def _by_check(findings: list) -> dict[tuple[str, str], object]:
    return {(f.asset, f.check): f for f in findings}


@pytest.fixture
def seeded(warehouse: PostgresWarehouse, database_url: str) -> PostgresWarehouse:
    seed_world(database_url)
    return warehouse


def test_every_check_passes_on_good_tables_and_is_logged(seeded: PostgresWarehouse) -> None:
    findings = validation.validate(seeded, NOW)

    failed = [(f.asset, f.check, dict(f.details)) for f in findings if not f.passed]
    assert failed == []
    declared = {(a, c) for a, checks in validation.CHECKS.items() for c in checks}
    assert set(_by_check(findings)) == declared
    logged = latest_findings(seeded)
    assert {(r["asset"], r["check"]) for r in logged} == declared
    assert all(r["passed"] and r["checked_at"] == NOW for r in logged)


def test_ranges_fail_on_negative_nan_future_and_out_of_scale_values(
    seeded: PostgresWarehouse, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO promoteros.metric_observations"
            " (artist_id, platform, metric, observed_at, value) VALUES"
            " (1, 'spotify', 'followers', %s, -5),"
            " (1, 'spotify', 'popularity', %s, 140),"
            " (2, 'spotify', 'followers', %s, 'NaN'),"
            " (2, 'youtube', 'views', %s, 10)",
            (
                NOW - dt.timedelta(days=20),
                NOW - dt.timedelta(days=20),
                NOW - dt.timedelta(days=20),
                NOW + dt.timedelta(days=2),
            ),
        )
    finding = _by_check(validation.validate(seeded, NOW, [OBS]))[(OBS, validation.RANGES)]
    assert not finding.passed and finding.severity == "critical"
    assert finding.details == {
        "rows_failing_value_not_negative": 1,
        "rows_failing_value_finite": 1,
        "rows_failing_popularity_0_100": 1,
        "rows_failing_not_in_future": 1,
    }


@pytest.mark.parametrize(
    ("asset", "breaking"),
    [
        ("venues", "UPDATE promoteros.venues SET capacity = 0 WHERE venue_id = 1"),
        ("artist_momentum", "UPDATE promoteros.artist_momentum SET momentum_score = 130"),
        (
            "daily_artist_metrics",
            "UPDATE promoteros.daily_artist_metrics SET engagement_rate = 500",
        ),
        ("viral_signals", "UPDATE promoteros.viral_signals SET strength = -1"),
        (
            "booking_scores",
            "INSERT INTO promoteros.booking_scores (artist_id, venue_id, scored_at, score,"
            " components, explanation, model_version) SELECT min(artist_id), 1, now(), 130,"
            " '{}', 'hand-broken', 'test' FROM promoteros.artists",
        ),
        (
            "artist_city_audience",
            "INSERT INTO promoteros.artist_city_audience (artist_id, city, country, platform,"
            " observed_at, listeners) SELECT min(artist_id), 'Leeds', 'GB', 'spotify', now(), -5"
            " FROM promoteros.artists",
        ),
    ],
)
def test_stored_ranges_fail_on_a_hand_broken_table(
    seeded: PostgresWarehouse, database_url: str, asset: str, breaking: str
) -> None:
    with psycopg.connect(database_url) as conn:
        # a restored dump or a dropped constraint: the database no longer guards the range
        for (name,) in conn.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'c' AND conrelid = %s::regclass",
            (f"promoteros.{asset}",),
        ).fetchall():
            conn.execute(f"ALTER TABLE promoteros.{asset} DROP CONSTRAINT {name}")
        conn.execute(breaking)
    finding = _by_check(validation.validate(seeded, NOW, [asset]))[(asset, validation.RANGES)]
    assert not finding.passed and finding.severity == "critical"
    assert sum(finding.details.values()) >= 1


def test_row_count_warns_when_yesterday_is_a_partial_load(
    seeded: PostgresWarehouse, database_url: str
) -> None:
    yesterday = NOW.date() - dt.timedelta(days=1)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "DELETE FROM promoteros.metric_observations"
            " WHERE (observed_at AT TIME ZONE 'UTC')::date = %s"
            " AND NOT (platform = 'spotify' AND metric = 'followers')",
            (yesterday,),
        )
    finding = _by_check(validation.validate(seeded, NOW, [OBS]))[(OBS, validation.ROW_COUNT)]
    assert not finding.passed and finding.severity == "warning"
    assert finding.details["day"] == yesterday.isoformat()
    assert finding.details["rows"] < finding.details["expected_low"]


def test_exact_duplicates_are_deleted_exactly_and_recorded(
    seeded: PostgresWarehouse, database_url: str
) -> None:
    at = NOW - dt.timedelta(hours=6)
    with psycopg.connect(database_url) as conn:
        value = conn.execute(
            "SELECT value FROM promoteros.metric_observations WHERE artist_id = 1"
            " AND platform = 'spotify' AND metric = 'followers' AND observed_at = %s",
            (at,),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO promoteros.metric_observations"
            " (artist_id, platform, metric, observed_at, value) VALUES"
            " (1, 'spotify', 'followers', %s, %s)",
            (at + dt.timedelta(milliseconds=400), value),
        )
        before = conn.execute("SELECT count(*) FROM promoteros.metric_observations").fetchone()[0]

    finding = _by_check(validation.validate(seeded, NOW, [OBS]))[(OBS, validation.DUPLICATES)]

    assert finding.auto_fixed and finding.severity == "info"
    assert finding.after == {"deleted_rows": 1}
    [row] = finding.before["duplicate_rows"]
    assert row["observed_at"] == (at + dt.timedelta(milliseconds=400)).isoformat()
    with psycopg.connect(database_url) as conn:
        after = conn.execute("SELECT count(*) FROM promoteros.metric_observations").fetchone()[0]
        kept = conn.execute(
            "SELECT count(*) FROM promoteros.metric_observations WHERE observed_at = %s",
            (at,),
        ).fetchone()[0]
    assert before - after == 1 and kept > 0
    again = _by_check(validation.validate(seeded, NOW + dt.timedelta(hours=4), [OBS]))
    assert again[(OBS, validation.DUPLICATES)].passed


def test_one_sample_glitch_is_marked_excluded_never_deleted(
    seeded: PostgresWarehouse, database_url: str
) -> None:
    at = NOW - dt.timedelta(hours=12)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE promoteros.metric_observations SET value = value / 100 WHERE artist_id = 2"
            " AND platform = 'spotify' AND metric = 'followers' AND observed_at = %s",
            (at,),
        )
        before = conn.execute("SELECT count(*) FROM promoteros.metric_observations").fetchone()[0]

    findings = _by_check(validation.validate(seeded, NOW, [OBS]))
    glitch = findings[(OBS, validation.GLITCHES)]

    assert glitch.auto_fixed and glitch.after["rows"] == 1
    with psycopg.connect(database_url) as conn:
        marked = conn.execute(
            "SELECT artist_id, platform, metric, observed_at FROM promoteros.observation_glitches"
        ).fetchall()
        after = conn.execute("SELECT count(*) FROM promoteros.metric_observations").fetchone()[0]
    assert marked == [(2, "spotify", "followers", at)]
    assert before == after  # excluded, not deleted
    # a glitch is not a counter going backwards: it is reported once, as a glitch
    assert findings[(OBS, validation.BACKWARDS)].passed
    again = _by_check(validation.validate(seeded, NOW + dt.timedelta(hours=4), [OBS]))
    assert again[(OBS, validation.GLITCHES)].passed  # already marked: nothing new


def test_a_counter_going_backwards_is_a_warning(
    seeded: PostgresWarehouse, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        # views fall 30 % and stay down: not a glitch (it does not come back)
        conn.execute(
            "UPDATE promoteros.metric_observations SET value = value * 0.7 WHERE artist_id = 3"
            " AND platform = 'youtube' AND metric = 'views' AND observed_at >= %s",
            (NOW - dt.timedelta(hours=12),),
        )
    finding = _by_check(validation.validate(seeded, NOW, [OBS]))[(OBS, validation.BACKWARDS)]
    assert not finding.passed and finding.severity == "warning"
    assert finding.details["rows"] == 1
    [example] = finding.details["examples"]
    assert (example["artist_id"], example["platform"], example["metric"]) == (3, "youtube", "views")


def test_a_frozen_series_is_a_warning(seeded: PostgresWarehouse, database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE promoteros.metric_observations SET value = 50000 WHERE artist_id = 1"
            " AND platform = 'youtube' AND metric = 'followers' AND observed_at >= %s",
            (NOW - dt.timedelta(days=4),),
        )
    finding = _by_check(validation.validate(seeded, NOW, [OBS]))[(OBS, validation.FROZEN)]
    assert not finding.passed
    assert finding.details["rows"] == 1
    assert finding.details["examples"][0]["value"] == 50000


def test_observations_without_a_platform_id_are_reported(
    seeded: PostgresWarehouse, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "DELETE FROM promoteros.artist_platform_ids"
            " WHERE artist_id = 2 AND platform = 'youtube'"
        )
    finding = _by_check(validation.validate(seeded, NOW, [OBS]))[(OBS, validation.ORPHANS)]
    assert not finding.passed
    assert finding.details["artist_platforms"] == 1
    assert finding.details["examples"][0]["artist_id"] == 2


def test_reconciliation_finds_one_id_for_two_artists_and_split_identities(
    seeded: PostgresWarehouse, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO promoteros.artists (artist_id, name, normalized_name)"
            " OVERRIDING SYSTEM VALUE VALUES (10, 'Nova', 'nova'), (11, 'NOVA', 'nova')"
        )
        conn.execute(
            "INSERT INTO promoteros.artist_platform_ids (artist_id, platform, external_id) VALUES"
            " (10, 'spotify', 'sp-nova'), (11, 'tiktok', 'tt-nova'),"
            " (11, 'youtube', ' YT-1')"  # artist 1's youtube id, spelled differently
        )
    findings = _by_check(validation.validate(seeded, NOW, ["tracked_artists"]))
    one = findings[("tracked_artists", validation.ONE_ARTIST)]
    assert not one.passed and one.severity == "critical"
    assert one.details["examples"] == [
        {"platform": "youtube", "canonical_id": "yt-1", "artist_ids": [1, 11]}
    ]
    split = findings[("tracked_artists", validation.IDENTITY)]
    assert not split.passed
    assert split.details["examples"] == [{"normalized_name": "nova", "artist_ids": [10, 11]}]


def test_a_new_empty_warehouse_passes_every_check(warehouse: PostgresWarehouse) -> None:
    findings = validation.validate(warehouse, NOW)
    assert [(f.asset, f.check) for f in findings if not f.passed] == []
    assert len(findings) == sum(len(checks) for checks in validation.CHECKS.values())
