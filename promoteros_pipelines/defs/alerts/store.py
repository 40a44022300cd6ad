"""Filing an alert: the one way every area raises one (viral events, milestones, bookings,
data quality, failed runs). The router and the notifier take it from there.

An alert is filed once per ``dedupe_key``: filing the same key again (a re-run, a replayed
event, a sensor re-evaluating the same failure) changes nothing and returns False.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from promoteros_pipelines.resources.warehouse import PostgresWarehouse

ALERT_TYPES = ("viral", "booking", "milestone", "risk", "system")
SEVERITIES = ("info", "warning", "critical")
SUBJECT_LIMIT = 300

FILE_ALERT = """
INSERT INTO promoteros.alerts (alert_type, severity, organisation_id, subject, evidence, dedupe_key)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (dedupe_key) DO NOTHING
"""


@dataclass(frozen=True)
class Alert:
    """One thing a person should hear about. ``organisation_id`` None: every organisation."""

    alert_type: str
    severity: str
    subject: str
    dedupe_key: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    organisation_id: int | None = None

    def __post_init__(self) -> None:
        if self.alert_type not in ALERT_TYPES:
            raise ValueError(f"alert type {self.alert_type!r} is not one of {ALERT_TYPES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")
        if not self.dedupe_key:
            raise ValueError("an alert needs a dedupe key, so filing it twice files it once")


def file_alert(target: psycopg.Connection | PostgresWarehouse, alert: Alert) -> bool:
    """File ``alert`` (inside the caller's transaction when given a connection); False when
    its dedupe key was filed before."""
    params = (
        alert.alert_type,
        alert.severity,
        alert.organisation_id,
        alert.subject[:SUBJECT_LIMIT],
        Jsonb(dict(alert.evidence)),
        alert.dedupe_key,
    )
    if isinstance(target, PostgresWarehouse):
        return target.execute(FILE_ALERT, params) == 1
    return target.execute(FILE_ALERT, params).rowcount == 1
