"""Incidents: one system alert when something starts failing, none while it keeps failing, and
the incident closed (optionally with a "recovered" note) when it passes again.

Sensors re-evaluate every tick; without this, a check failing for a day would file an alert
every tick (or, keyed by day, one a day). ``ops_incidents`` holds at most one open incident per
key; the alert's dedupe key carries the incident's opening time, so a replayed tick files
nothing twice.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from promoteros_pipelines.defs.alerts.store import Alert, file_alert
from promoteros_pipelines.defs.operations import store
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


@dataclass(frozen=True)
class State:
    """What one probe says now about ``key``: failing or not, and how bad."""

    key: str
    failing: bool
    severity: str = "warning"
    subject: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)


def reconcile(
    warehouse: PostgresWarehouse,
    states: list[State],
    now: dt.datetime,
    *,
    recovered_note: bool = False,
) -> Outcome:
    """Open an incident (and file its alert) for each newly failing key; close the incident of
    each key that passes again (filing an info "recovered" alert when ``recovered_note``)."""
    outcome = Outcome()
    for state in states:
        if state.failing:
            opened = store.open_incident(
                warehouse, state.key, now, state.severity, state.subject, state.evidence
            )
            if opened is not None:
                file_alert(
                    warehouse,
                    Alert(
                        "system",
                        state.severity,
                        state.subject,
                        f"incident:{state.key}:{opened.isoformat()}",
                        dict(state.evidence),
                    ),
                )
                outcome.opened.append(state.key)
        else:
            opened = store.close_incident(warehouse, state.key, now)
            if opened is None:
                continue
            outcome.closed.append(state.key)
            if recovered_note:
                minutes = round((now - opened).total_seconds() / 60)
                file_alert(
                    warehouse,
                    Alert(
                        "system",
                        "info",
                        f"Recovered: {state.key} (after {minutes} min)",
                        f"recovered:{state.key}:{opened.isoformat()}",
                        {"opened_at": opened.isoformat(), "closed_at": now.isoformat()},
                    ),
                )
    return outcome
