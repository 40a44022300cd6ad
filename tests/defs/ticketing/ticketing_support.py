"""A venue, its people and ticketing.sales events, for the ticketing tests."""

import datetime as dt
import json
import uuid
from typing import Any

import psycopg
from dagster import materialize
from psycopg.rows import dict_row

from promoteros_pipelines.defs.ticketing.assets import ticket_sales
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

T0 = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)


def sql(warehouse: PostgresWarehouse, statement: str, params: Any = None) -> list[dict]:
    with psycopg.connect(warehouse.database_url, row_factory=dict_row) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def venue_world(warehouse: PostgresWarehouse) -> dict[str, int]:
    """Organisation 'north' with venue 'leadmill' (and 'roundhouse'), their managers, ops."""
    org = sql(
        warehouse,
        "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
        " VALUES ('north', 'North Live', 'UTC', 'GBP') RETURNING organisation_id",
    )[0]["organisation_id"]
    ids = {"org": org}
    for slug, name in [("leadmill", "The Leadmill"), ("roundhouse", "Roundhouse")]:
        ids[slug] = sql(
            warehouse,
            "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country, latitude,"
            " longitude, capacity, typical_ticket_price)"
            " VALUES (%s, %s, %s, 'Sheffield', 'GB', 53.4, -1.5, 1000, 20)"
            " RETURNING venue_id",
            (org, slug, name),
        )[0]["venue_id"]
    for name, role, venue in [
        ("Mia Manager", "venue_manager", ids["leadmill"]),
        ("Ray Other", "venue_manager", ids["roundhouse"]),
        ("Olu Ops", "ops", None),
    ]:
        ids[name] = sql(
            warehouse,
            "INSERT INTO promoteros.recipients (organisation_id, name, email, role, venue_id)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING recipient_id",
            (org, name, name.lower().replace(" ", ".") + "@north.example", role, venue),
        )[0]["recipient_id"]
    return ids


def sales_event(
    warehouse: PostgresWarehouse,
    show_id: str,
    points: list[tuple[int, int]],
    *,
    capacity: int | None = 1000,
    venue_slug: str | None = "leadmill",
    status: str = "pending",
    **extra: Any,
) -> int:
    """A stored ticketing.sales event; ``points`` are (hours after T0, cumulative sold)."""
    payload: dict[str, Any] = {
        "show_id": show_id,
        "sales": [
            {
                "observed_at": (T0 + dt.timedelta(hours=h)).isoformat(),
                "tickets_sold": sold,
                "gross": sold * 20.0,
                "currency": "GBP",
            }
            for h, sold in points
        ],
        **extra,
    }
    if capacity is not None:
        payload["capacity"] = capacity
    if venue_slug is not None:
        payload["venue_slug"] = venue_slug
    return sql(
        warehouse,
        "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload, status)"
        " VALUES ('ticketing', 'ticketing.sales', %s, %s, %s) RETURNING event_id",
        (f"msg_{uuid.uuid4().hex}", json.dumps(payload), status),
    )[0]["event_id"]


def ingest(warehouse: PostgresWarehouse, event_ids: list[int]) -> dict[str, Any]:
    config = {"ops": {"ticket_sales": {"config": {"event_ids": event_ids}}}}
    result = materialize([ticket_sales], run_config=config, resources={"warehouse": warehouse})
    assert result.success
    metadata = result.asset_materializations_for_node("ticket_sales")[0].metadata
    return {key: value.value for key, value in metadata.items()}


def milestones(warehouse: PostgresWarehouse, show_id: str) -> dict[int, dict]:
    rows = sql(
        warehouse,
        "SELECT milestone, reached_at, tickets_sold, alert_id FROM promoteros.show_milestones"
        " WHERE show_id = %s",
        (show_id,),
    )
    return {row["milestone"]: row for row in rows}


def milestone_alerts(warehouse: PostgresWarehouse) -> list[dict]:
    return sql(
        warehouse,
        "SELECT alert_id, alert_type, subject, evidence, organisation_id FROM promoteros.alerts"
        " WHERE alert_type = 'milestone' ORDER BY alert_id",
    )
