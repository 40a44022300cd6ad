"""``report.request`` webhooks: each becomes a ``custom_report`` run."""

from typing import Any

from pydantic import ValidationError

from promoteros_pipelines.defs.custom_reports.jobs import custom_report
from promoteros_pipelines.defs.inbox.single_events import (
    EventRoute,
    PayloadRefused,
    build_single_event_sensor,
)
from promoteros_pipelines.defs.inbox.store import InboxEvent
from promoteros_pipelines.defs.inbox.ticks import describe_invalid
from promoteros_pipelines.events import parse_event


def report_run_config(event: InboxEvent) -> dict[str, Any]:
    """``report.request`` -> the ``custom_report`` job (which validates the request itself)."""
    try:
        parse_event("report.request", event.payload)
    except ValidationError as error:
        reason = describe_invalid(error)
        raise PayloadRefused(f"report.request payload is invalid: {reason}") from error
    config = {"event_id": event.event_id, "request": dict(event.payload or {})}
    return {"ops": {"build_custom_report": {"config": config}}}


report_request_events = build_single_event_sensor(
    EventRoute("report.request", custom_report.name, report_run_config), custom_report
)
