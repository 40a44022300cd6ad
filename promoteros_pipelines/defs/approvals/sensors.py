"""``approval.decision`` webhooks: each becomes an ``approval_decision`` run.

This replaces the inbox's parking sensor of the same name: events parked ``waiting`` before
this job existed are re-read by it and applied, oldest first.
"""

from typing import Any

from pydantic import ValidationError

from promoteros_pipelines.defs.approvals.jobs import approval_decision
from promoteros_pipelines.defs.inbox.single_events import (
    EventRoute,
    PayloadRefused,
    build_single_event_sensor,
)
from promoteros_pipelines.defs.inbox.store import InboxEvent
from promoteros_pipelines.defs.inbox.ticks import describe_invalid
from promoteros_pipelines.events import parse_event

EVENT_TYPE = "approval.decision"


def decision_run_config(event: InboxEvent) -> dict[str, Any]:
    """``approval.decision`` -> the ``approval_decision`` job (the rules are applied there)."""
    try:
        parse_event(EVENT_TYPE, event.payload)
    except ValidationError as error:
        reason = describe_invalid(error)
        raise PayloadRefused(f"approval.decision payload is invalid: {reason}") from error
    config = {"event_id": event.event_id, "decision": dict(event.payload or {})}
    return {"ops": {"apply_approval_decision": {"config": config}}}


approval_decision_events = build_single_event_sensor(
    EventRoute(EVENT_TYPE, approval_decision.name, decision_run_config), approval_decision
)
