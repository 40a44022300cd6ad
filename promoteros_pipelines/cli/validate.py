"""``promoteros validate [--json]``: run the data-validation checks now, as the 4-hourly job does.

Every finding is written to ``data_quality_log`` (so the check-result sensor and the weekly ops
report see on-demand rounds too). Exit code 0 when nothing critical failed, 1 otherwise.
"""

import datetime as dt
import json

import click
from rich.table import Table

from promoteros_pipelines.cli.common import console, friendly_errors
from promoteros_pipelines.defs.operations.validation import ROUNDS, validate
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.runtime.database import ensure_ready


def _summary(details: dict) -> str:
    shown = {k: v for k, v in details.items() if k != "examples" and v not in (0, None)}
    return ", ".join(f"{k}={v}" for k, v in shown.items())[:90]


@click.command("validate")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option(
    "--asset",
    "assets",
    multiple=True,
    type=click.Choice(sorted(ROUNDS)),
    help="Only this table's checks (repeatable); default all.",
)
@friendly_errors
def command(as_json: bool, assets: tuple[str, ...]) -> None:
    """Validate the stored tables now and log every finding; exit 1 on a critical failure."""
    warehouse = PostgresWarehouse(database_url=ensure_ready().warehouse_url)
    checked_at = dt.datetime.now(dt.UTC)
    findings = validate(warehouse, checked_at, list(assets) or None)
    critical = [f for f in findings if not f.passed and f.severity == "critical"]
    if as_json:
        document = {
            "checked_at": checked_at.isoformat(),
            "passed": not critical,
            "findings": [
                {
                    "asset": f.asset,
                    "check": f.check,
                    "severity": f.severity,
                    "passed": f.passed,
                    "auto_fixed": f.auto_fixed,
                    "details": dict(f.details),
                    "before": f.before,
                    "after": f.after,
                }
                for f in findings
            ],
        }
        click.echo(json.dumps(document, default=str))
    else:
        table = Table("asset", "check", "severity", "result", "details")
        for f in findings:
            result = "fixed" if f.auto_fixed else ("ok" if f.passed else "FAILED")
            table.add_row(f.asset, f.check, f.severity, result, _summary(dict(f.details)))
        console.print(table)
        for f in findings:
            if not f.passed and not f.auto_fixed:
                click.echo(
                    f"FAILED {f.asset} {f.check} ({f.severity}): {_summary(dict(f.details))}"
                )
        failed = sum(not f.passed for f in findings)
        click.echo(f"{len(findings)} checks, {failed} failed ({len(critical)} critical)")
    raise SystemExit(1 if critical else 0)
