"""Copy new ``metric_observations`` rows to InfluxDB, resuming from a high-water mark.

The cursor is the row key (ingested_at, artist_id, platform, observed_at, metric), stored in
``promoteros.mirror_high_water_marks`` and advanced only after InfluxDB confirmed the batch,
so an outage loses nothing and a resumed run sends no point twice. Rows younger than
``settle_seconds`` wait for the next run: a writer whose transaction is still open could
otherwise commit a row behind the cursor.
"""

import datetime as dt
import json
from dataclasses import dataclass

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


def _cursor(warehouse: PostgresWarehouse) -> list:
    stored = warehouse.read_frame(
        "SELECT high_water_mark, last_key::text AS last_key"
        " FROM promoteros.mirror_high_water_marks WHERE mirror = $1",
        [MIRROR],
    )
    if stored.is_empty() or stored["last_key"][0] is None:
        return [EPOCH, 0, "", EPOCH, ""]
    key = json.loads(stored["last_key"][0])
    observed_at = dt.datetime.fromisoformat(key["observed_at"])
    return [
        stored["high_water_mark"][0],
        key["artist_id"],
        key["platform"],
        observed_at,
        key["metric"],
    ]


def mirror_observations(
    warehouse: PostgresWarehouse, influx: InfluxMirror, settle_seconds: float = 60.0
) -> MirrorReport:
    """Send every settled observation after the cursor, one confirmed batch at a time."""
    report = MirrorReport()
    cursor = _cursor(warehouse)
    while True:
        rows = warehouse.read_frame(NEXT_ROWS, [*cursor, float(settle_seconds), influx.batch_lines])
        if rows.is_empty():
            return report
        lines = observation_lines(rows, MEASUREMENT)
        if lines.len():  # a batch of only non-finite values has nothing to send
            influx.write_lines(lines.to_list())
        last = rows.row(-1, named=True)
        cursor = [
            last["ingested_at"],
            last["artist_id"],
            last["platform"],
            last["observed_at"],
            last["metric"],
        ]
        key = {
            "artist_id": last["artist_id"],
            "platform": last["platform"],
            "observed_at": last["observed_at"].isoformat(),
            "metric": last["metric"],
        }
        warehouse.execute(
            SAVE_CURSOR,
            {
                "mirror": MIRROR,
                "mark": last["ingested_at"],
                "key": json.dumps(key),
                "rows": rows.height,
            },
        )
        report.rows += rows.height
        report.lines += lines.len()
        report.requests += 1
        report.high_water_mark = last["ingested_at"]
        if rows.height < influx.batch_lines:
            return report


def pending_rows(warehouse: PostgresWarehouse) -> int:
    """Observations not yet mirrored (settled or not), for metadata and checks."""
    cursor = _cursor(warehouse)
    count = warehouse.read_frame(
        "SELECT count(*) AS n FROM promoteros.metric_observations"
        " WHERE (ingested_at, artist_id, platform, observed_at, metric) > ($1, $2, $3, $4, $5)",
        cursor,
    )
    return int(count["n"][0])
