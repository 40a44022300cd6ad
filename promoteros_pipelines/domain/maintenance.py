"""The maintenance summary: what each nightly step did, in words a person on call can read.

A step reports the rows it touched, the bytes it wrote or measured, the partitions it created
or archived, and why it failed if it did. The same steps become the run's markdown table, the
``maintenance_runs`` row, and the weekly ops report's maintenance section.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from promoteros_pipelines.domain.wording import plural

TITLES = {
    "retention": "Retention (rows deleted)",
    "partitions": "Monthly partitions made",
    "archive": "Old months archived",
    "influxdb_downsampling": "InfluxDB hourly rollups",
    "vacuum_analyze": "VACUUM (ANALYZE)",
    "table_sizes": "Warehouse size",
}


@dataclass(frozen=True)
class Step:
    name: str
    rows: int = 0
    bytes: int = 0
    partitions: int = 0
    facts: Mapping[str, Any] = field(default_factory=dict)
    failed: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "facts": dict(self.facts)}


def human_bytes(count: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1000
    return f"{count:,.1f} TB"  # pragma: no cover - the loop returns at GB


def describe(step: Step) -> str:
    """One sentence on what the step did (or why it failed)."""
    if step.failed:
        return f"failed: {step.failed}"
    facts = step.facts
    if step.name == "retention":
        return f"{step.rows:,} settled rows deleted"
    if step.name == "partitions":
        return (
            f"{plural(step.partitions, 'partition')} created, {step.rows:,} rows moved out of the "
            "default partition"
        )
    if step.name == "archive":
        months = ", ".join(facts.get("months_archived", [])) or "none due"
        return (
            f"{plural(step.partitions, 'month')} archived ({months}): {step.rows:,} rows, "
            f"{human_bytes(step.bytes)} of Parquet, verified then dropped"
        )
    if step.name == "influxdb_downsampling":
        if "skipped" in facts:
            return str(facts["skipped"])
        until = str(facts.get("rolled_up_until", "?"))[:10]
        return f"{step.rows:,} hourly points written; raw points before {until} replaced by them"
    if step.name == "vacuum_analyze":
        return f"{len(facts.get('tables', []))} busy tables vacuumed and analysed"
    if step.name == "table_sizes":
        return (
            f"{human_bytes(step.bytes)} in {facts.get('tables', 0)} tables; "
            f"{step.partitions} monthly partitions of metric_observations"
        )
    return f"{step.rows:,} rows"


def summary_rows(steps: Sequence[Step]) -> list[dict[str, str]]:
    return [
        {
            "step": TITLES.get(step.name, step.name),
            "result": "FAILED" if step.failed else "ok",
            "what": describe(step),
        }
        for step in steps
    ]


def summary_markdown(steps: Sequence[Step]) -> str:
    lines = ["| step | result | what it did |", "|---|---|---|"]
    lines += [
        f"| {row['step']} | {row['result']} | {row['what'].replace('|', '/')} |"
        for row in summary_rows(steps)
    ]
    return "\n".join(lines)
