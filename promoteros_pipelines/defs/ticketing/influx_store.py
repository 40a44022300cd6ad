"""Copy new ``ticket_sales`` points to InfluxDB with the metric mirror, from a high-water mark.

Each point carries the show's count, gross, sell-through and its sales velocity (tickets per
hour since the show's previous point, net of refunds), measurement ``ticket_sales`` tagged by
show, venue and organisation (``domain/line_protocol.sales_lines``). The cursor is the row key
(ingested_at, show_id, observed_at) in ``promoteros.mirror_high_water_marks`` under its own
name, advanced only after InfluxDB confirmed the batch, so an outage loses nothing and a
resumed run sends no point twice. A point that arrives late (observed before points already
sent) is sent with the velocity since the point before it; the point after it keeps the
velocity it was sent with.
"""

from promoteros_pipelines.defs.metrics.influx_store import (
    EPOCH,
    KeysetCursor,
    MirrorReport,
    follow,
)
from promoteros_pipelines.domain.line_protocol import sales_lines
from promoteros_pipelines.resources.influx import InfluxMirror
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MIRROR = "influxdb:ticket_sales"

NEXT_POINTS = """
SELECT t.show_id, s.venue_id, s.organisation_id, s.capacity, t.observed_at,
       t.tickets_sold, t.gross::float8 AS gross, t.ingested_at,
       (t.tickets_sold - p.tickets_sold)::float8
           / nullif(extract(epoch FROM t.observed_at - p.observed_at) / 3600, 0)
           AS velocity_per_hour
FROM promoteros.ticket_sales t
JOIN promoteros.shows s USING (show_id)
LEFT JOIN LATERAL (
    SELECT b.tickets_sold, b.observed_at FROM promoteros.ticket_sales b
    WHERE b.show_id = t.show_id AND b.observed_at < t.observed_at
    ORDER BY b.observed_at DESC LIMIT 1
) AS p ON true
WHERE (t.ingested_at, t.show_id, t.observed_at) > ($1, $2, $3)
  AND t.ingested_at <= now() - make_interval(secs => $4)
ORDER BY t.ingested_at, t.show_id, t.observed_at
LIMIT $5
"""
PENDING = """
SELECT count(*) AS n FROM promoteros.ticket_sales
WHERE (ingested_at, show_id, observed_at) > ($1, $2, $3)
"""


CURSOR = KeysetCursor(MIRROR, ("show_id", "observed_at"), ("", EPOCH))


def mirror_sales(
    warehouse: PostgresWarehouse, influx: InfluxMirror, settle_seconds: float = 60.0
) -> MirrorReport:
    """Send every settled sales point after the cursor, one confirmed batch at a time."""
    return follow(warehouse, influx, CURSOR, NEXT_POINTS, sales_lines, settle_seconds)


def pending_sales(warehouse: PostgresWarehouse) -> int:
    """Sales points not yet mirrored (settled or not)."""
    return int(warehouse.read_frame(PENDING, CURSOR.read(warehouse))["n"][0])
