"""Report stores that fail the way real ones do, for the archive's tests: a write that is cut
short, a write whose bytes are changed on the way, and an export process that is killed while
it uploads. They are the real local store (files on disk) with the fault in front."""

import datetime as dt
import time
from pathlib import Path

from promoteros_pipelines.report_store.store import LocalReportStore, StoredObject
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


class TruncatingStore(LocalReportStore):
    """Keeps only the first half of every Parquet file (a cut connection it did not notice)."""

    def put(self, key: str, content: bytes) -> StoredObject:
        if key.endswith(".parquet"):
            path = self.path_for(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content[: len(content) // 2])
            return StoredObject(key, str(path), "", len(content))
        return super().put(key, content)


class FlippingStore(LocalReportStore):
    """Stores every Parquet file with one byte in the middle changed (silent corruption)."""

    def put(self, key: str, content: bytes) -> StoredObject:
        if key.endswith(".parquet"):
            middle = len(content) // 2
            content = content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :]
        return super().put(key, content)


class StallingStore(LocalReportStore):
    """Writes half of a Parquet file to its final place, says so in ``marker``, then hangs
    until the test kills the process: an export killed in the middle of its upload."""

    def __init__(self, root: Path, marker: Path) -> None:
        super().__init__(root)
        self.marker = marker

    def put(self, key: str, content: bytes) -> StoredObject:
        if key.endswith(".parquet"):
            path = self.path_for(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                handle.write(content[: len(content) // 2])
                handle.flush()
                self.marker.write_text(key)
                time.sleep(3600)
        return super().put(key, content)


def archive_then_hang(database_url: str, root: str, marker: str, month: str) -> None:
    """Child-process entry point: archive ``month`` into a StallingStore."""
    from promoteros_pipelines.defs.operations.archive import archive_month

    store = StallingStore(Path(root), Path(marker))
    archive_month(PostgresWarehouse(database_url=database_url), store, dt.date.fromisoformat(month))
