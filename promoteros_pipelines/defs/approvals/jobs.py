"""Approval jobs: apply an ``approval.decision`` webhook, and close or remind at deadlines.

A decision the rules refuse (self-approval, a role the policy does not name, an approval
already decided, expired or unknown) fails its run without retries, so the webhook event
goes ``dead`` with the refusal as its error (``promoteros events show ID``), and nothing in
the approval changes.
"""

from typing import Any

from dagster import (
    Config,
    DefaultScheduleStatus,
    Failure,
    OpExecutionContext,
    Output,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    job,
    op,
    schedule,
)
from pydantic import Field

from promoteros_pipelines.defs.approvals.lifecycle import (
    claim_notices,
    claim_reminders,
    deadline_work_due,
    expire_due,
    unclaim,
)
from promoteros_pipelines.defs.approvals.notices import notify
from promoteros_pipelines.defs.approvals.store import applied_reference, decide
from promoteros_pipelines.defs.inbox.store import get_event
from promoteros_pipelines.domain.approvals import DecisionRefused
from promoteros_pipelines.resources.mailer import Mailer, MailError
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

LINK_SOURCE = "approval-link"


class ApprovalDecisionConfig(Config):
    """The ``approval.decision`` event: its id (the decision's reference) and payload."""

    event_id: int = Field(description="webhook_events.event_id of the approval.decision")
    decision: dict[str, Any] = Field(description="The approval.decision payload")


def channel_of(source: str) -> str:
    """``link`` for the one-time approval page, ``webhook:<source>`` for the rest."""
    return "link" if source == LINK_SOURCE else f"webhook:{source}"


@op(
    name="apply_approval_decision",
    description="Applies one approval.decision webhook to its approval under the policy's "
    "rules; a refused decision fails without retries and changes nothing.",
    tags={"kind": "approval"},
)
def apply_approval_decision(
    context: OpExecutionContext, config: ApprovalDecisionConfig, warehouse: PostgresWarehouse
) -> Output[None]:
    reference = f"webhook_event:{config.event_id}"
    done = applied_reference(warehouse, reference)
    if done is not None:  # a retry of a run whose decision was already committed
        context.log.info("Event %d was already applied: %s", config.event_id, done)
        return Output(None, metadata={"approval_id": done["approval_id"], "status": "applied"})
    event = get_event(warehouse, config.event_id)
    source = event.source if event else "unknown"
    payload = config.decision
    try:
        outcome = decide(
            warehouse,
            str(payload.get("approval_id", "")),
            str(payload.get("decided_by", "")),
            str(payload.get("decision", "")),
            reason=payload.get("reason"),
            channel=channel_of(source),
            reference=reference,
        )
    except DecisionRefused as refused:
        raise Failure(
            description=f"approval decision refused: {refused}", allow_retries=False
        ) from None
    context.log.info(
        "Approval %s: %s by %s (%d of %d approvals)",
        outcome.approval_id,
        outcome.status,
        outcome.decided_by,
        outcome.approvals_so_far,
        outcome.required_approvals,
    )
    return Output(
        None,
        metadata={
            "approval_id": outcome.approval_id,
            "status": outcome.status,
            "decided_by": outcome.decided_by,
            "approvals": f"{outcome.approvals_so_far} of {outcome.required_approvals}",
        },
    )


@job(
    name="approval_decision",
    description="One approval.decision webhook (n8n, Slack buttons, the approval page) "
    "applied to its approval.",
)
def approval_decision() -> None:
    apply_approval_decision()


@op(
    name="close_and_remind_approvals",
    description="Closes approvals nobody decided in time (timeout = reject unless the kind's "
    "policy says otherwise), mails new requests to those who may decide them, and reminds "
    "them once when a quarter of the request's time is left.",
    tags={"kind": "approval"},
)
def close_and_remind_approvals(
    context: OpExecutionContext, warehouse: PostgresWarehouse, mailer: Mailer
) -> Output[None]:
    closed = expire_due(warehouse)
    sent = {"notified_at": 0, "reminded_at": 0}
    for column, rows in (
        ("notified_at", claim_notices(warehouse)),
        ("reminded_at", claim_reminders(warehouse)),
    ):
        for row in rows:
            try:
                sent[column] += notify(warehouse, mailer, row, reminder=column == "reminded_at")
            except MailError as error:
                unclaim(warehouse, row.id, column)
                context.log.warning("Mail for approval %s not sent: %s", row.id, error)
    context.log.info(
        "%d approvals timed out; %d request mails and %d reminders sent",
        len(closed),
        sent["notified_at"],
        sent["reminded_at"],
    )
    return Output(
        None,
        metadata={
            "timed_out": len(closed),
            "timed_out_ids": ", ".join(row.id for row in closed),
            "request_mails_sent": sent["notified_at"],
            "reminders_sent": sent["reminded_at"],
        },
    )


@job(
    name="approval_deadlines",
    description="Closes expired approvals and sends the one reminder before expiry.",
)
def approval_deadlines() -> None:
    close_and_remind_approvals()


@schedule(
    name="approval_deadlines_every_5_minutes",
    job=approval_deadlines,
    cron_schedule="*/5 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every 5 minutes, when an approval has expired, is new or is due its "
    "reminder: runs approval_deadlines (otherwise the tick is skipped, so the Runs list is "
    "not filled with empty runs).",
)
def approval_deadlines_every_5_minutes(
    context: ScheduleEvaluationContext, warehouse: PostgresWarehouse
) -> RunRequest | SkipReason:
    if not deadline_work_due(warehouse):
        return SkipReason("No approval has expired, is new or is due its reminder.")
    return RunRequest(run_key=None)
