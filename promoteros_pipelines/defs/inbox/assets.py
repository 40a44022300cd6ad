"""``webhook_events``: the inbox the ingress writes, outside Dagster; the sensors read it."""

from dagster import AssetSpec

from promoteros_pipelines.defs.metadata import table

webhook_events = AssetSpec(
    "webhook_events",
    group_name="inbox",
    kinds={"postgres"},
    owners=["team:data-platform"],
    metadata=table("webhook_events"),
    description=(
        "Every signed webhook n8n, the scrapers, ticketing systems and the UI sent, stored by "
        "the ingress before it answers 202 (keyed by webhook-id, so a resend is not a second "
        "event). Sensors turn new events into runs and keep each event's status "
        "on its run: `promoteros events list` shows them. Written outside Dagster, so it is "
        "never materialised here."
    ),
)
