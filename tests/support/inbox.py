"""Helpers for the sensor tests: the inbox as a test writes it, one sensor tick."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from promoteros_pipelines.resources.warehouse import PostgresWarehouse


def observation(external_id: str = "sp-1", value: float = 100.0, **extra: Any) -> dict:
    return {
        "platform": "spotify",
        "external_id": external_id,
        "artist_name": "Nova Lights",
        "metric": "followers",
        "value": value,
        "observed_at": "2026-11-21T10:00:00Z",
        **extra,
    }


@dataclass
class Inbox:
    """The webhook inbox as a test writes and reads it."""

    warehouse: PostgresWarehouse

    def add(self, event_type: str, payload: dict, source: str = "n8n") -> int:
        with self.warehouse.connect() as conn:
            row = conn.execute(
                "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
                " VALUES (%s, %s, %s, %s) RETURNING event_id",
                (source, event_type, f"msg_{uuid.uuid4().hex}", json.dumps(payload)),
            ).fetchone()
        assert row is not None
        return row[0]

    def add_scraper_burst(self, count: int, observations_each: int = 1) -> list[int]:
        """``count`` scraper.metrics events in one statement (a burst, fast to set up)."""
        payload = {"observations": [observation(f"sp-{n}") for n in range(observations_each)]}
        with self.warehouse.connect() as conn:
            rows = conn.execute(
                "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
                " SELECT 'scraper', 'scraper.metrics', 'burst_' || gen_random_uuid(), %s::jsonb"
                " FROM generate_series(1, %s) RETURNING event_id",
                (json.dumps(payload), count),
            ).fetchall()
        return sorted(row[0] for row in rows)

    def row(self, event_id: int) -> dict[str, Any]:
        with self.warehouse.connect() as conn:
            status, attempts, run_id, error = conn.execute(
                "SELECT status, attempts, run_id, error FROM promoteros.webhook_events"
                " WHERE event_id = %s",
                (event_id,),
            ).fetchone()
        return {"status": status, "attempts": attempts, "run_id": run_id, "error": error}

    def set(self, event_id: int, **columns: Any) -> None:
        assignments = ", ".join(f"{name} = %s" for name in columns)
        with self.warehouse.connect() as conn:
            conn.execute(
                f"UPDATE promoteros.webhook_events SET {assignments} WHERE event_id = %s",
                (*columns.values(), event_id),
            )
