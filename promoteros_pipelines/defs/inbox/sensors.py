"""Every webhook event's status follows its run.

The areas start their own events' runs (``discovery/sensors.py`` for ``artist.watch``,
``metrics/sensors.py`` for ``scraper.metrics``, ``custom_reports/sensors.py`` for
``report.request``, ``ticketing/sensors.py`` for ``ticketing.sales``, ``approvals/sensors.py``
for ``approval.decision``; ``pipeline.trigger`` is built over every job in ``definitions.py``).
A new event type with no job yet gets a sensor here from ``build_single_event_sensor(route,
None)``, which marks each event ``waiting`` with the reason, so nothing is lost; the area that
adds the job replaces it with its own and picks up the waiting events.
"""

from promoteros_pipelines.defs.inbox.run_status import (
    event_runs_canceled,
    event_runs_failed,
    event_runs_queued,
    event_runs_succeeded,
)

__all__ = [
    "event_runs_canceled",
    "event_runs_failed",
    "event_runs_queued",
    "event_runs_succeeded",
]
