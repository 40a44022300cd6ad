"""Copy new ``metric_observations`` rows to InfluxDB, resuming from a high-water mark.

The cursor is the row key (ingested_at, artist_id, platform, observed_at, metric), stored in
``promoteros.mirror_high_water_marks`` and advanced only after InfluxDB confirmed the batch,
so an outage loses nothing and a resumed run sends no point twice. Rows younger than
``settle_seconds`` wait for the next run: a writer whose transaction is still open could
otherwise commit a row behind the cursor.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from promoteros_pipelines.domain.line_protocol import observation_lines
from promoteros_pipelines.resources.influx import MEASUREMENT, InfluxMirror
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MIRROR = "influxdb"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

NEXT_ROWS = """
SELECT artist_id, platform, metric, observed_at, value, ingested_at
FROM promoteros.metric_observations
WHERE (ingested_at, artist_id, platform, observed_at, metric) > ($1, $2, $3, $4, $5)
  AND ingested_at <= now() - make_interval(secs => $6)
ORDER BY ingested_at, artist_id, platform, observed_at, metric
LIMIT $7
"""

SAVE_CURSOR = """
INSERT INTO promoteros.mirror_high_water_marks
    (mirror, high_water_mark, last_key, rows_mirrored, updated_at)
VALUES (%(mirror)s, %(mark)s, %(key)s, %(rows)s, now())
ON CONFLICT (mirror) DO UPDATE SET
    high_water_mark = EXCLUDED.high_water_mark,
    last_key = EXCLUDED.last_key,
    rows_mirrored = promoteros.mirror_high_water_marks.rows_mirrored + EXCLUDED.rows_mirrored,
    updated_at = now()
"""


@dataclass
class MirrorReport:
    rows: int = 0
    lines: int = 0
    requests: int = 0
    high_water_mark: dt.datetime | None = None


@dataclass(frozen=True)
class KeysetCursor:
    """Where a mirror stands in a table read in (ingested_at, *key) order: stored in
    ``mirror_high_water_marks`` under ``mirror``, its key columns as JSON (``times`` as ISO
    text)."""

    mirror: str
    key: tuple[str, ...]
    before_first: tuple
    times: frozenset[str] = frozenset({"observed_at"})

    def read(self, warehouse: PostgresWarehouse) -> list:
        stored = warehouse.read_frame(
            "SELECT high_water_mark, last_key::text AS last_key"
            " FROM promoteros.mirror_high_water_marks WHERE mirror = $1",
            [self.mirror],
        )
        if stored.is_empty() or stored["last_key"][0] is None:
            return [EPOCH, *self.before_first]
        saved = json.loads(stored["last_key"][0])
        return [stored["high_water_mark"][0], *(self._load(name, saved[name]) for name in self.key)]

    def _load(self, name: str, value):
        return dt.datetime.fromisoformat(value) if name in self.times else value

    def save(self, warehouse: PostgresWarehouse, last: dict, rows: int) -> None:
        key = {
            name: last[name].isoformat() if name in self.times else last[name] for name in self.key
        }
        warehouse.execute(
            SAVE_CURSOR,
            {
                "mirror": self.mirror,
                "mark": last["ingested_at"],
                "key": json.dumps(key),
                "rows": rows,
            },
        )


def follow(
    warehouse: PostgresWarehouse,
    influx: InfluxMirror,
    cursor: KeysetCursor,
    next_rows: str,
    to_lines: Callable[[pl.DataFrame], pl.Series],
    settle_seconds: float,
) -> MirrorReport:
    """Send every settled row after ``cursor`` (``next_rows`` takes the cursor, the settle time
    and the batch size), one confirmed batch at a time, saving the cursor after each."""
    report = MirrorReport()
    position = cursor.read(warehouse)
    while True:
        rows = warehouse.read_frame(
            next_rows, [*position, float(settle_seconds), influx.batch_lines]
        )
        if rows.is_empty():
            return report
        lines = to_lines(rows)
        if lines.len():  # a batch of only non-finite values has nothing to send
            influx.write_lines(lines.to_list())
        last = rows.row(-1, named=True)
        position = [last["ingested_at"], *(last[name] for name in cursor.key)]
        cursor.save(warehouse, last, rows.height)
        report.rows += rows.height
        report.lines += lines.len()
        report.requests += 1
        report.high_water_mark = last["ingested_at"]
        if rows.height < influx.batch_lines:
            return report


CURSOR = KeysetCursor(
    MIRROR, ("artist_id", "platform", "observed_at", "metric"), (0, "", EPOCH, "")
)


def mirror_observations(
    warehouse: PostgresWarehouse, influx: InfluxMirror, settle_seconds: float = 60.0
) -> MirrorReport:
    """Send every settled observation after the cursor, one confirmed batch at a time."""
    return follow(
        warehouse,
        influx,
        CURSOR,
        NEXT_ROWS,
        lambda rows: observation_lines(rows, MEASUREMENT),
        settle_seconds,
    )


def pending_rows(warehouse: PostgresWarehouse) -> int:
    """Observations not yet mirrored (settled or not), for metadata and checks."""
    cursor = CURSOR.read(warehouse)
    count = warehouse.read_frame(
        "SELECT count(*) AS n FROM promoteros.metric_observations"
        " WHERE (ingested_at, artist_id, platform, observed_at, metric) > ($1, $2, $3, $4, $5)",
        cursor,
    )
    return int(count["n"][0])
