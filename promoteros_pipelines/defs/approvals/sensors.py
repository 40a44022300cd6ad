"""``approval.decision`` webhooks: each becomes an ``approval_decision`` run.

This replaces the inbox's parking sensor of the same name: events parked ``waiting`` before
this job existed are re-read by it and applied, oldest first.
"""

from promoteros_pipelines.defs.approvals.jobs import approval_decision
from promoteros_pipelines.defs.inbox.single_events import (
    EventRoute,
    build_single_event_sensor,
    payload_as_op_config,
)

EVENT_TYPE = "approval.decision"


approval_decision_events = build_single_event_sensor(
    EventRoute(
        EVENT_TYPE,
        approval_decision.name,
        payload_as_op_config(EVENT_TYPE, "apply_approval_decision", "decision"),
    ),
    approval_decision,
)
