"""Webhook events no area handles yet wait in the inbox; every event's status follows its run.

The areas start their own events' runs (``discovery/sensors.py`` for ``artist.watch``,
``metrics/sensors.py`` for ``scraper.metrics``, ``custom_reports/sensors.py`` for
``report.request``, ``ticketing/sensors.py`` for ``ticketing.sales``; ``pipeline.trigger``
is built over every job in ``definitions.py``). The types below have no job yet: their
sensors mark each event ``waiting`` with the reason, so nothing is lost, and the area that
adds the job replaces the sensor here with its own.
"""

from promoteros_pipelines.defs.inbox.run_status import (
    event_runs_canceled,
    event_runs_failed,
    event_runs_queued,
    event_runs_succeeded,
)
from promoteros_pipelines.defs.inbox.single_events import EventRoute, build_single_event_sensor

approval_decision_events = build_single_event_sensor(EventRoute("approval.decision"), None)

__all__ = [
    "approval_decision_events",
    "event_runs_canceled",
    "event_runs_failed",
    "event_runs_queued",
    "event_runs_succeeded",
]
