"""Archive old months of ``metric_observations`` to Parquet in the report store, and back.

A month is archived in four steps, and dropped only after the last one succeeded:

1. its partition is locked against writes (readers go on) for the whole operation;
2. its rows stream out through ADBC into a Parquet file, checksummed as they pass
   (``domain.archive.content_checksum``) and counted;
3. the file goes to the store (the custom reports' store: a local directory by default,
   S3-compatible when configured) under ``archive/metric-observations/YYYY-MM.parquet``;
4. the object is read back from the store and verified: its SHA-256, its row count against
   the partition's, its content checksum against the rows read from PostgreSQL.

Then a manifest (``YYYY-MM.json``) is stored, and the partition is detached and dropped and the
archive recorded in ``observation_archives``, in the transaction that held the lock. A failure
or a kill anywhere before that commit drops nothing: the lock goes with the connection, the
partition stays, and the next run exports the month again.
"""

import datetime as dt
import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from promoteros_pipelines.defs.operations import archive_store
from promoteros_pipelines.domain.archive import content_checksum, months_due
from promoteros_pipelines.report_store.store import ARCHIVE_PREFIX, ReportStore
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

if TYPE_CHECKING:  # pyarrow loads on first use: the code location imports this module
    import pyarrow.parquet as pq

RETENTION_ENV = "PROMOTEROS_OBSERVATION_RETENTION_MONTHS"
DEFAULT_RETENTION_MONTHS = 13
DEFAULT_KEEP_DAYS = 30
ROW_GROUP_ROWS = 1_000_000


def object_key(month: dt.date, suffix: str = "parquet") -> str:
    return f"{ARCHIVE_PREFIX}metric-observations/{month:%Y-%m}.{suffix}"


class ArchiveError(RuntimeError):
    """An export or restore that did not verify; nothing was dropped or changed."""


def retention_months() -> int:
    """Months kept in PostgreSQL besides the current one (PROMOTEROS_OBSERVATION_RETENTION_MONTHS,
    default 13)."""
    raw = os.environ.get(RETENTION_ENV, "").strip()
    if not raw:
        return DEFAULT_RETENTION_MONTHS
    if not raw.isdigit() or int(raw) < 1:
        raise ArchiveError(
            f"{RETENTION_ENV}={raw!r} is not a whole number of months (1 or more); unset it "
            f"for the default of {DEFAULT_RETENTION_MONTHS}."
        )
    return int(raw)


@dataclass(frozen=True)
class Manifest:
    month: str
    object_key: str
    location: str
    rows: int
    content_checksum: str
    sha256: str
    size_bytes: int

    def record(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "month"}


def _checksum_hex(value: int) -> str:
    return f"{value:016x}"


def export_month(
    warehouse: PostgresWarehouse, store: ReportStore, month: dt.date, workdir: Path
) -> Manifest:
    """Stream the month's rows into Parquet and put the file in the store (not yet verified)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = workdir / f"{month:%Y-%m}.parquet"
    rows, checksum = 0, 0
    writer: pq.ParquetWriter | None = None
    with warehouse.arrow_connection() as conn, conn.cursor() as cursor:
        cursor.execute(archive_store.read_month_query(month))
        reader = cursor.fetch_record_batch()
        try:
            for batch in reader:
                if writer is None:
                    writer = pq.ParquetWriter(path, batch.schema, compression="zstd")
                writer.write_batch(batch, row_group_size=ROW_GROUP_ROWS)
                checksum = content_checksum(pl.from_arrow(pa.table(batch)), checksum)  # type: ignore[arg-type]
                rows += batch.num_rows
            if writer is None:
                writer = pq.ParquetWriter(path, reader.schema, compression="zstd")
        finally:
            if writer is not None:
                writer.close()
    content = path.read_bytes()
    stored = store.put(object_key(month), content)
    return Manifest(
        month=f"{month:%Y-%m}",
        object_key=stored.key,
        location=stored.location,
        rows=rows,
        content_checksum=_checksum_hex(checksum),
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
    )


def read_verified(store: ReportStore, manifest: Manifest) -> "pq.ParquetFile":
    """The stored Parquet file after checking it against ``manifest``: present, the same bytes
    (SHA-256), readable, the same number of rows and the same content checksum."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    content = store.read(manifest.object_key)
    where = f"{manifest.object_key} in the report store"
    if content is None:
        raise ArchiveError(f"{where} is missing")
    digest = hashlib.sha256(content).hexdigest()
    if len(content) != manifest.size_bytes or digest != manifest.sha256:
        raise ArchiveError(
            f"{where} is not the file written: {len(content):,} bytes with SHA-256 "
            f"{digest[:12]}..., expected {manifest.size_bytes:,} bytes, {manifest.sha256[:12]}..."
        )
    try:
        parquet = pq.ParquetFile(io.BytesIO(content))
        rows, checksum = 0, 0
        for batch in parquet.iter_batches(batch_size=ROW_GROUP_ROWS):
            checksum = content_checksum(pl.from_arrow(pa.table(batch)), checksum)  # type: ignore[arg-type]
            rows += batch.num_rows
    except (OSError, pa.ArrowException) as error:
        raise ArchiveError(f"{where} cannot be read as Parquet: {error}") from error
    if rows != manifest.rows or _checksum_hex(checksum) != manifest.content_checksum:
        raise ArchiveError(
            f"{where} holds {rows:,} rows with checksum {_checksum_hex(checksum)}; the month "
            f"had {manifest.rows:,} rows with checksum {manifest.content_checksum}"
        )
    return parquet


@dataclass(frozen=True)
class Archived:
    month: str
    rows: int
    size_bytes: int
    object_key: str


def archive_month(
    warehouse: PostgresWarehouse, store: ReportStore, month: dt.date, workdir: Path | None = None
) -> Archived:
    """Export, verify, then detach and drop one month (see the module docstring). A month
    archived before whose partition came back only because late rows arrived is first merged
    with its archive, so the new export replaces the old one without losing a row."""
    if archive_store.dropped_unrestored(warehouse, month):
        merge_archive(warehouse, store, month)
    with (
        tempfile.TemporaryDirectory(dir=workdir) as scratch,
        archive_store.frozen_month(warehouse, month) as conn,
    ):
        expected = archive_store.count_month(conn, month)
        manifest = export_month(warehouse, store, month, Path(scratch))
        if manifest.rows != expected:
            raise ArchiveError(
                f"{month:%Y-%m}: exported {manifest.rows:,} rows but the partition holds "
                f"{expected:,}; nothing was dropped"
            )
        read_verified(store, manifest)
        store.put(object_key(month, "json"), json.dumps(asdict(manifest)).encode())
        archive_store.drop_month(conn, month, manifest.record())
    return Archived(manifest.month, manifest.rows, manifest.size_bytes, manifest.object_key)


@dataclass
class ArchiveRound:
    archived: list[Archived]
    failed: dict[str, str]
    kept: list[str]

    def summary(self) -> dict[str, Any]:
        return {
            "partitions_archived": len(self.archived),
            "rows_archived": sum(a.rows for a in self.archived),
            "bytes_written": sum(a.size_bytes for a in self.archived),
            "months_archived": [a.month for a in self.archived],
            "months_failed": self.failed,
            "months_kept_after_restore": self.kept,
        }


def archive_due(
    warehouse: PostgresWarehouse,
    store: ReportStore,
    today: dt.date,
    months: int | None = None,
    now: dt.datetime | None = None,
) -> ArchiveRound:
    """Archive every month older than the retention, one at a time; a month that fails is
    reported and left in place, and the others go on."""
    now = now or dt.datetime.now(dt.UTC)
    due = months_due(archive_store.partition_months(warehouse), today, months or retention_months())
    kept = archive_store.kept_months(warehouse, now)
    outcome = ArchiveRound([], {}, sorted(f"{m:%Y-%m}" for m in due if m in kept))
    for month in (m for m in due if m not in kept):
        try:
            outcome.archived.append(archive_month(warehouse, store, month))
        except Exception as error:  # reported per month; the partition stays
            outcome.failed[f"{month:%Y-%m}"] = f"{type(error).__name__}: {error}"
    return outcome


def stored_manifest(
    warehouse: PostgresWarehouse, store: ReportStore, month: dt.date
) -> Manifest | None:
    """The month's manifest: from ``observation_archives``, else from the store's JSON."""
    for record in archive_store.archive_records(warehouse):
        if record["month"] == month:
            return Manifest(
                month=f"{month:%Y-%m}",
                **{k: record[k] for k in Manifest.__dataclass_fields__ if k != "month"},
            )
    content = store.read(object_key(month, "json"))
    return Manifest(**json.loads(content)) if content else None


def merge_archive(warehouse: PostgresWarehouse, store: ReportStore, month: dt.date) -> int:
    """Add the month's verified archived rows to its partition; rows added."""
    import pyarrow as pa

    manifest = stored_manifest(warehouse, store, month)
    if manifest is None:
        raise ArchiveError(f"{month:%Y-%m} is recorded as archived but its manifest is missing")
    parquet = read_verified(store, manifest)
    batches = pa.RecordBatchReader.from_batches(
        parquet.schema_arrow, parquet.iter_batches(batch_size=ROW_GROUP_ROWS)
    )
    with warehouse.arrow_connection() as conn:  # merged and marked together, or neither
        with conn.cursor() as cursor:
            added = archive_store.merge_into(cursor, month, batches)
            archive_store.mark_restored(cursor, month, dt.datetime.now(dt.UTC))
        conn.commit()
    return added


def restore_month(
    warehouse: PostgresWarehouse,
    store: ReportStore,
    month: dt.date,
    keep_days: int = DEFAULT_KEEP_DAYS,
) -> int:
    """Bring an archived month back as a partition, verified first; rows restored. The month
    stays ``keep_days`` before the nightly archive may take it again."""
    if month in archive_store.partition_months(warehouse):
        raise ArchiveError(f"{month:%Y-%m} is already in the database; nothing to restore")
    manifest = stored_manifest(warehouse, store, month)
    if manifest is None:
        raise ArchiveError(
            f"{month:%Y-%m} has no archive (no record and no manifest in the report store); "
            "`promoteros archive list` shows the months that have one"
        )
    import pyarrow as pa

    parquet = read_verified(store, manifest)
    batches = pa.RecordBatchReader.from_batches(
        parquet.schema_arrow, parquet.iter_batches(batch_size=ROW_GROUP_ROWS)
    )
    keep_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=keep_days)
    with warehouse.arrow_connection() as conn:  # one transaction: all rows back, or none
        with conn.cursor() as cursor:
            written = archive_store.restore_into(cursor, month, batches)
            if written != manifest.rows:
                raise ArchiveError(f"{month:%Y-%m}: copied {written:,} of {manifest.rows:,} rows")
            archive_store.mark_restored(cursor, month, keep_until)
        conn.commit()
    return written
