"""The weekly ops report's operations section, read back from the PDF: the week's nightly
maintenance (what each step did, a failed step named) and the informational system notes,
which reach people only here; warnings and critical alerts are not repeated in it."""

import datetime as dt
import os
import shutil
from pathlib import Path

from psycopg.types.json import Jsonb

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import parse_week
from promoteros_pipelines.defs.reports.weekly import RunStats, render_weekly_set
from promoteros_pipelines.domain.maintenance import Step
from tests.defs.reports.pdf_text import between, pages
from tests.defs.reports.test_report_images import rasterise
from tests.defs.reports.world import WEEK, seed_world

IN_WEEK = dt.datetime(2026, 11, 18, 3, 0, tzinfo=dt.UTC)  # Wednesday 03:00 in London


def _ops_text(warehouse) -> tuple[str, bytes]:
    org = kpis.organisation(warehouse, "northern-lights-live")
    reports = render_weekly_set(
        warehouse, org, parse_week(WEEK, org.time_zone), RunStats([("a", "SUCCESS")], [])
    )
    [ops] = [r for r in reports if r.role == "ops"]
    return " ".join(pages(ops.pdf)), ops.pdf


def test_the_ops_report_shows_the_weeks_maintenance_and_info_notes(warehouse, tmp_path):
    seed_world(warehouse.database_url)
    night_one = [
        Step("retention", rows=1_234, facts={"rows_deleted": {"webhook_events": 1_234}}),
        Step("archive", failed="ArchiveError: archive/x.parquet is missing"),
    ]
    night_two = [
        Step("retention", rows=10),
        Step("archive", rows=4_200_000, bytes=61_000_000, partitions=1,
             facts={"months_archived": ["2025-09"]}),
        Step("influxdb_downsampling", facts={"skipped": "InfluxDB is not configured"}),
    ]  # fmt: skip
    with warehouse.connect() as conn:
        for n, steps in enumerate([night_one, night_two]):
            at = IN_WEEK + dt.timedelta(days=n)
            conn.execute(
                "INSERT INTO promoteros.maintenance_runs VALUES (%s, %s, %s, %s, %s)",
                (f"run{n}", at, at, Jsonb([s.as_json() for s in steps]),
                 [s.name for s in steps if s.failed]),
            )  # fmt: skip
        for severity, subject in [
            ("info", "System health: smtp recovered"),
            ("warning", "System health: influxdb is down"),
            ("critical", "System health: database is down"),
        ]:
            conn.execute(
                "INSERT INTO promoteros.alerts (alert_type, severity, subject, evidence,"
                " dedupe_key, created_at) VALUES ('system', %s, %s, '{}', %s, %s)",
                (severity, subject, subject, IN_WEEK),
            )

    text, pdf = _ops_text(warehouse)

    section = between(text, "Nightly maintenance", "Viral events")
    assert "2 nightly maintenance runs this week, 1 with a failed step" in section
    assert "1 old month of observations archived" in section
    assert "The latest, on Thu 19 Nov at 03:00" in section
    assert "1 month archived (2025-09): 4,200,000 rows, 61.0 MB of Parquet" in section
    assert "InfluxDB is not configured" in section
    notes = between(text, "System notes", "Viral events")
    assert "smtp recovered" in notes
    assert "influxdb is down" not in notes and "database is down" not in notes
    keep = os.environ.get("PROMOTEROS_REPORT_PNG_DIR")
    if keep:
        for path in rasterise(pdf, tmp_path, "ops-operations", dpi=80):
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)


def test_a_week_without_maintenance_says_so(warehouse):
    seed_world(warehouse.database_url)
    text, _ = _ops_text(warehouse)
    section = between(text, "Nightly maintenance", "Viral events")
    assert "No nightly maintenance ran this week." in section
    assert "No informational system notes this week." in section
