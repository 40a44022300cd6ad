"""``pipeline.trigger`` of jobs or assets on ``PROMOTEROS_TRIGGERS_REQUIRING_APPROVAL`` waits
for an ops approval.

``definitions.py`` hands ``approval_gate`` to the ``pipeline_trigger_events`` sensor. A gated
trigger files one approval (natural key ``pipeline.trigger:<event id>``) and its event stays
``waiting`` with the approval's id and the command to decide it. Once approved, the same
sensor starts the run with the event's usual run key, so it starts once even if the daemon
restarts or the decision arrives twice; rejected or expired, the event goes ``dead`` with the
reason, and no run starts.
"""

import os

from promoteros_pipelines.defs.approvals.lifecycle import last_rejection, mark_released
from promoteros_pipelines.defs.approvals.store import get_approval, request_approval
from promoteros_pipelines.defs.inbox.pipeline_trigger import GatedTrigger
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

TRIGGERS_REQUIRING_APPROVAL_ENV = "PROMOTEROS_TRIGGERS_REQUIRING_APPROVAL"
KIND = "pipeline_trigger"


def gated_names() -> frozenset[str]:
    """Job and asset names whose triggers need approval (comma or space separated)."""
    return frozenset(os.environ.get(TRIGGERS_REQUIRING_APPROVAL_ENV, "").replace(",", " ").split())


def approval_gate(warehouse: PostgresWarehouse, gated: GatedTrigger) -> tuple[str, str] | None:
    """None: run now; ("wait", why) while the approval is pending; ("refuse", why) after a
    rejection or expiry."""
    names = gated_names()
    trigger = gated.trigger
    if not names or not ({trigger.job, gated.job_name, *trigger.assets} & names):
        return None
    approval_id, _ = request_approval(
        warehouse,
        kind=KIND,
        request_key=f"pipeline.trigger:{gated.event.event_id}",
        requested_by="pipeline.trigger webhook",
        subject={
            "job": trigger.job or gated.job_name,
            "assets": [key.to_user_string() for key in gated.keys],
            "partition_key": gated.partition_key,
            "event_id": gated.event.event_id,
            "tags": dict(trigger.tags),
        },
    )
    row = get_approval(warehouse, approval_id)
    assert row is not None
    if row.status in ("approved", "auto_approved"):
        mark_released(warehouse, approval_id, f"run of {gated.job_name} requested")
        return None
    if row.status == "pending":
        return (
            "wait",
            f"waiting for approval {approval_id} (ops decide: promoteros approvals approve "
            f"{approval_id} --by EMAIL); it expires at {row.expires_at:%Y-%m-%d %H:%M} UTC",
        )
    if row.status == "rejected":
        return (
            "refuse",
            f"rejected in approval {approval_id}: {last_rejection(warehouse, approval_id)}",
        )
    return ("refuse", f"approval {approval_id} expired: nobody decided in time")
