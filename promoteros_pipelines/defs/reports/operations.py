"""The ops report's operations sections: the nightly maintenance of the week (what each step
did, from ``maintenance_runs``) and the informational system notes, which by the alert rules
go nowhere else (critical alerts reach ops at once, warnings the daily digest, info only here).
"""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from promoteros_pipelines.defs.reports.periods import Week
from promoteros_pipelines.defs.reports.rows import column
from promoteros_pipelines.domain.maintenance import Step, summary_rows
from promoteros_pipelines.domain.wording import plural
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

MAINTENANCE_COLUMNS = [
    column("step", "Step", width="28%"),
    column("result", "Result", width="10%"),
    column("what", "What it did"),
]
NOTE_COLUMNS = [column("at", "When", width="22%", nowrap=True), column("subject", "Note")]
INFO_NOTES = """
SELECT created_at, subject FROM promoteros.alerts
WHERE alert_type = 'system' AND severity = 'info' AND created_at >= %s AND created_at < %s
ORDER BY created_at
"""
NOTES_SHOWN = 25
MAINTENANCE_RUNS = """
SELECT started_at, steps FROM promoteros.maintenance_runs
WHERE started_at >= %s AND started_at < %s ORDER BY started_at
"""


def maintenance_runs(
    warehouse: PostgresWarehouse, since: dt.datetime, until: dt.datetime
) -> list[tuple[dt.datetime, list[Step]]]:
    """Maintenance runs started in [since, until), oldest first, with their steps. Read here,
    not through the operations area, whose incidents file alerts that the digest (which
    reads this area) sends: the import would go round in a circle."""
    with warehouse.connect() as conn:
        rows = conn.execute(MAINTENANCE_RUNS, (since, until)).fetchall()
    return [(started, [Step(**step) for step in steps]) for started, steps in rows]


def maintenance_section(warehouse: PostgresWarehouse, week: Week) -> dict[str, Any]:
    """A sentence on the week's maintenance runs and the table of the latest one's steps."""
    runs = maintenance_runs(warehouse, week.start, week.end)
    if not runs:
        return {"maintenance_summary": "No nightly maintenance ran this week.",
                "maintenance_steps": []}  # fmt: skip
    failed = [started for started, steps in runs if any(s.failed for s in steps)]
    archived = sum(s.partitions for _, steps in runs for s in steps if s.name == "archive")
    zone = ZoneInfo(week.time_zone)
    latest_at, latest = runs[-1]
    sentence = (
        f"{plural(len(runs), 'nightly maintenance run')} this week, "
        + (f"{len(failed)} with a failed step" if failed else "every step succeeded")
        + f"; {plural(archived, 'old month')} of observations archived. "
        + f"The latest, on {latest_at.astimezone(zone):%a %d %b at %H:%M}:"
    )
    return {"maintenance_summary": sentence, "maintenance_steps": summary_rows(latest)}


def info_notes(warehouse: PostgresWarehouse, week: Week) -> dict[str, Any]:
    """The week's informational system alerts (recoveries and the like)."""
    with warehouse.connect() as conn:
        rows = conn.execute(INFO_NOTES, (week.start, week.end)).fetchall()
    zone = ZoneInfo(week.time_zone)
    notes = [
        {"at": f"{at.astimezone(zone):%a %d %b %H:%M}", "subject": subject}
        for at, subject in rows[-NOTES_SHOWN:]
    ]
    more = len(rows) - len(notes)
    return {
        "info_notes": notes,
        "info_notes_more": f"{plural(more, 'earlier note')} not shown." if more > 0 else "",
    }
