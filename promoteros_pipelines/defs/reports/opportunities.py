"""A venue's open booking opportunities for its weekly page, read from
``booking_opportunities`` (migrations 0090 and 0094) by the reports area's own SQL, so the
reports do not import the booking area (which files alerts, which read the reports)."""

import json

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

VENUE_OPPORTUNITIES_SQL = """
SELECT a.name AS artist, b.score::float8 AS score, b.status, b.window_start, b.window_end,
       b.projection::text AS projection, o.currency
FROM {table} b
JOIN {artists} a USING (artist_id)
JOIN {venues} v ON v.venue_id = b.venue_id
JOIN {organisations} o ON o.organisation_id = v.organisation_id
WHERE b.venue_id = $1 AND b.status IN ('new', 'pending_approval', 'sent', 'followed_up')
ORDER BY b.score DESC, b.created_at DESC, b.id LIMIT $2
"""


def venue_opportunities(warehouse: PostgresWarehouse, venue_id: int, limit: int) -> list[dict]:
    """The venue's live booking opportunities, highest score first (projection parsed)."""
    query = VENUE_OPPORTUNITIES_SQL.format(
        table=warehouse.qualified("booking_opportunities"),
        artists=warehouse.qualified("artists"),
        venues=warehouse.qualified("venues"),
        organisations=warehouse.qualified("organisations"),
    )
    frame = warehouse.read_frame(query, [venue_id, limit])
    return [
        {**row, "projection": json.loads(row["projection"] or "{}")}
        for row in frame.iter_rows(named=True)
    ]
