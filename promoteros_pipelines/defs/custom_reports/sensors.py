"""``report.request`` webhooks: each becomes a ``custom_report`` run."""

from promoteros_pipelines.defs.custom_reports.jobs import custom_report
from promoteros_pipelines.defs.inbox.single_events import (
    EventRoute,
    build_single_event_sensor,
    payload_as_op_config,
)

report_request_events = build_single_event_sensor(
    EventRoute(
        "report.request",
        custom_report.name,
        payload_as_op_config("report.request", "build_custom_report", "request"),
    ),
    custom_report,
)
