"""The observation archive: months older than the retention go to Parquet in the report store
(a directory, or a bucket on a real S3 server), are verified by reading them back, and only
then dropped; a missing, truncated or corrupted export, or an export killed midway, drops
nothing; a restore brings back the same rows."""

import datetime as dt
import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import psycopg
import pytest
from polars.testing import assert_frame_equal

from promoteros_pipelines.defs.custom_reports.service import expire_reports
from promoteros_pipelines.defs.operations import archive_store
from promoteros_pipelines.defs.operations.archive import (
    ArchiveError,
    Manifest,
    archive_due,
    archive_month,
    object_key,
    read_verified,
    restore_month,
    stored_manifest,
)
from promoteros_pipelines.report_store.s3_store import S3ReportStore
from promoteros_pipelines.report_store.store import LocalReportStore, ReportStore
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.support import archive_faults
from tests.support.s3 import S3Server, use_test_credentials

UTC = dt.UTC
TODAY = dt.date(2025, 6, 10)
OLD_MONTHS = [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
KEPT_MONTH = dt.date(2024, 6, 1)  # inside 13 months of June 2025
ROWS_PER_MONTH = 2 * 2 * 60  # two artists, two metrics, 60 samples
READ = (
    "SELECT artist_id, platform, metric, observed_at, value, source, ingested_at"
    " FROM promoteros.metric_observations WHERE observed_at >= $1 AND observed_at < $2"
    " ORDER BY artist_id, platform, metric, observed_at"
)


def _seed(warehouse: PostgresWarehouse) -> None:
    with warehouse.connect() as conn:
        for artist in (1, 2):
            conn.execute(
                "INSERT INTO promoteros.artists (artist_id, name, normalized_name)"
                " OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s)",
                (artist, f"Artist {artist}", f"artist {artist}"),
            )
        rows = [
            (artist, "spotify", metric, dt.datetime.combine(month, dt.time(), UTC)
             + dt.timedelta(hours=11 * k), 1_000.0 * artist + k * 1.25 + len(metric),
             "api" if k % 2 else "scraper")
            for month in [*OLD_MONTHS, KEPT_MONTH]
            for artist in (1, 2)
            for metric in ("followers", "popularity")
            for k in range(60)
        ]  # fmt: skip
        with conn.cursor().copy(
            "COPY promoteros.metric_observations"
            " (artist_id, platform, metric, observed_at, value, source) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    archive_store.ensure_months(warehouse, TODAY)


def _month(warehouse: PostgresWarehouse, month: dt.date) -> pl.DataFrame:
    return warehouse.read_frame(READ, list(archive_store.bounds(month)))


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ReportStore:
    if request.param == "local":
        return LocalReportStore(tmp_path / "report-store")
    server: S3Server = request.getfixturevalue("s3_server")
    use_test_credentials(monkeypatch, tmp_path)
    return S3ReportStore(server.new_bucket(), "reports", endpoint_url=server.endpoint_url)


def test_old_months_are_archived_verified_dropped_and_restored(
    warehouse: PostgresWarehouse, store: ReportStore
) -> None:
    _seed(warehouse)
    originals = {m: _month(warehouse, m) for m in OLD_MONTHS}
    assert all(frame.height == ROWS_PER_MONTH for frame in originals.values())

    outcome = archive_due(warehouse, store, TODAY, months=13)

    assert outcome.failed == {}
    assert [a.month for a in outcome.archived] == ["2024-01", "2024-02", "2024-03"]
    assert outcome.summary()["rows_archived"] == 3 * ROWS_PER_MONTH
    months = archive_store.partition_months(warehouse)
    assert not set(OLD_MONTHS) & set(months) and KEPT_MONTH in months
    for month in OLD_MONTHS:
        assert _month(warehouse, month).is_empty()
        assert store.exists(object_key(month)) and store.exists(object_key(month, "json"))
    assert _month(warehouse, KEPT_MONTH).height == ROWS_PER_MONTH
    records = archive_store.archive_records(warehouse)
    assert [(r["month"], r["rows"]) for r in records] == [(m, ROWS_PER_MONTH) for m in OLD_MONTHS]

    restored = restore_month(warehouse, store, OLD_MONTHS[1])

    assert restored == ROWS_PER_MONTH
    assert_frame_equal(_month(warehouse, OLD_MONTHS[1]), originals[OLD_MONTHS[1]])
    assert OLD_MONTHS[1] in archive_store.partition_months(warehouse)
    with pytest.raises(ArchiveError, match="already in the database"):
        restore_month(warehouse, store, OLD_MONTHS[1])
    # a restored month is held for its keep period: the next night leaves it alone
    again = archive_due(warehouse, store, TODAY, months=13)
    assert again.archived == [] and again.kept == ["2024-02"]
    later = archive_due(
        warehouse, store, TODAY, months=13, now=dt.datetime.now(UTC) + dt.timedelta(days=31)
    )
    assert [a.month for a in later.archived] == ["2024-02"]


@pytest.mark.parametrize(
    "faulty",
    [archive_faults.TruncatingStore, archive_faults.FlippingStore],
    ids=["truncated", "corrupted"],
)
def test_an_export_that_does_not_read_back_drops_nothing(
    warehouse: PostgresWarehouse, tmp_path: Path, faulty: type[LocalReportStore]
) -> None:
    _seed(warehouse)
    before = {m: _month(warehouse, m) for m in OLD_MONTHS}
    store = faulty(tmp_path / "store")

    outcome = archive_due(warehouse, store, TODAY, months=13)

    assert outcome.archived == []
    assert set(outcome.failed) == {"2024-01", "2024-02", "2024-03"}
    assert all("ArchiveError" in reason for reason in outcome.failed.values())
    for month in OLD_MONTHS:
        assert_frame_equal(_month(warehouse, month), before[month])
        assert not store.exists(object_key(month, "json"))
    assert archive_store.archive_records(warehouse) == []
    assert set(OLD_MONTHS) <= set(archive_store.partition_months(warehouse))


def test_a_wrong_checksum_or_row_count_or_missing_file_fails_verification(
    warehouse: PostgresWarehouse, tmp_path: Path
) -> None:
    _seed(warehouse)
    store = LocalReportStore(tmp_path / "store")
    archive_month(warehouse, store, OLD_MONTHS[0])
    manifest = stored_manifest(warehouse, store, OLD_MONTHS[0])
    assert manifest is not None
    read_verified(store, manifest)  # the true manifest verifies
    fields = manifest.__dict__
    wrong_sum = Manifest(**{**fields, "content_checksum": "0" * 16})
    with pytest.raises(ArchiveError, match="checksum"):
        read_verified(store, wrong_sum)
    with pytest.raises(ArchiveError, match="rows"):
        read_verified(store, Manifest(**{**fields, "rows": manifest.rows + 1}))
    store.delete(manifest.object_key)
    with pytest.raises(ArchiveError, match="missing"):
        read_verified(store, manifest)
    with pytest.raises(ArchiveError, match="missing"):
        restore_month(warehouse, store, OLD_MONTHS[0])
    assert OLD_MONTHS[0] not in archive_store.partition_months(warehouse)


def test_an_export_killed_midway_drops_nothing_and_the_next_run_completes(
    warehouse: PostgresWarehouse, database_url: str, tmp_path: Path
) -> None:
    _seed(warehouse)
    month = OLD_MONTHS[0]
    before = _month(warehouse, month)
    root, marker = tmp_path / "store", tmp_path / "uploading"
    child = multiprocessing.get_context("spawn").Process(
        target=archive_faults.archive_then_hang,
        args=(database_url, str(root), str(marker), month.isoformat()),
    )
    child.start()
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the export never reached its upload"
        child.kill()
        child.join(30)
    finally:
        if child.is_alive():
            child.kill()
    store = LocalReportStore(root)
    assert store.exists(object_key(month))  # half a file was left behind
    assert not store.exists(object_key(month, "json"))
    assert_frame_equal(_month(warehouse, month), before)
    assert archive_store.archive_records(warehouse) == []
    assert stored_manifest(warehouse, store, month) is None  # half a file is no archive

    archived = archive_month(warehouse, store, month)  # the lock died with the child

    assert archived.rows == before.height
    restore_month(warehouse, store, month)
    assert_frame_equal(_month(warehouse, month), before)


def test_rows_arriving_for_a_month_without_partition_move_into_it(
    warehouse: PostgresWarehouse,
) -> None:
    _seed(warehouse)
    with psycopg.connect(warehouse.database_url) as conn:
        conn.execute(
            "INSERT INTO promoteros.metric_observations (artist_id, platform, metric,"
            " observed_at, value) VALUES (1, 'spotify', 'followers', '2031-07-04T00:00Z', 5)"
        )
    assert archive_store.months_in_default(warehouse) == [dt.date(2031, 7, 1)]
    done = archive_store.ensure_months(warehouse, TODAY)
    assert done["rows_moved_from_default"] == 1
    assert archive_store.months_in_default(warehouse) == []
    assert dt.date(2031, 7, 1) in archive_store.partition_months(warehouse)


def test_the_custom_reports_cleanup_leaves_the_archive_alone(
    warehouse: PostgresWarehouse, tmp_path: Path
) -> None:
    _seed(warehouse)
    store = LocalReportStore(tmp_path / "store")
    archive_month(warehouse, store, OLD_MONTHS[0])
    store.put("acme/1/orphan.csv", b"a,b\n")
    future = dt.datetime.now(UTC) + dt.timedelta(days=365)

    outcome = expire_reports(warehouse, store, now=future)

    assert outcome.orphans_deleted == 1 and not store.exists("acme/1/orphan.csv")
    assert store.exists(object_key(OLD_MONTHS[0]))
    assert store.exists(object_key(OLD_MONTHS[0], "json"))


def test_rows_arriving_late_for_an_archived_month_are_merged_not_lost(
    warehouse: PostgresWarehouse, tmp_path: Path
) -> None:
    _seed(warehouse)
    store = LocalReportStore(tmp_path / "store")
    month = OLD_MONTHS[0]
    original = _month(warehouse, month)
    archive_month(warehouse, store, month)
    late = dt.datetime(2024, 1, 20, 7, 30, tzinfo=UTC)  # a scraper re-sends an old point
    with psycopg.connect(warehouse.database_url) as conn:
        conn.execute(
            "INSERT INTO promoteros.metric_observations (artist_id, platform, metric,"
            " observed_at, value, source) VALUES (1, 'youtube', 'views', %s, 42, 'scraper')",
            (late,),
        )
    archive_store.ensure_months(warehouse, TODAY)  # the late row gets its month back
    assert _month(warehouse, month).height == 1

    outcome = archive_due(warehouse, store, TODAY, months=13)

    assert [(a.month, a.rows) for a in outcome.archived if a.month == "2024-01"] == [
        ("2024-01", ROWS_PER_MONTH + 1)
    ]
    restore_month(warehouse, store, month)
    back = _month(warehouse, month)
    assert back.height == ROWS_PER_MONTH + 1
    assert_frame_equal(back.filter(pl.col("observed_at") != late), original)
