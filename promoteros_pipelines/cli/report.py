"""``promoteros report weekly``: render one organisation's weekly reports on demand."""

from pathlib import Path

import click

from promoteros_pipelines.cli.common import friendly_errors
from promoteros_pipelines.settings import ConfigurationError


@click.group("report")
def command() -> None:
    """Render reports on demand (the schedules do the same every Monday)."""


@command.command("weekly")
@click.option("--org", "slug", required=True, help="Organisation slug, e.g. northern-lights-live.")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W47.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also copy the PDFs here (they are always archived under PROMOTEROS_HOME/reports).",
)
@click.option("--send", is_flag=True, help="Also mail them (once per recipient; see --resend).")
@click.option("--resend", is_flag=True, help="With --send: mail even those already sent.")
@friendly_errors
def weekly(slug: str, week: str, out: Path | None, send: bool, resend: bool) -> None:
    """Render the executive, ops and per-venue PDFs of one organisation for one week."""
    from promoteros_pipelines.defs.reports import kpis
    from promoteros_pipelines.defs.reports.periods import BadPeriod, parse_week

    try:
        period = parse_week(week)
    except BadPeriod as error:
        raise click.BadParameter(str(error), param_hint="--week") from None

    from promoteros_pipelines.cli.report_support import render_and_archive

    try:
        written, summary = render_and_archive(slug, period, out, send=send, resend=resend)
    except kpis.UnknownOrganisation as error:
        raise click.BadParameter(str(error), param_hint="--org") from None
    except OSError as error:
        raise ConfigurationError(f"cannot write the reports: {error}") from error
    for path in written:
        click.echo(str(path))
    if summary is not None:
        click.echo(
            f"mailed {len(summary.sent)}, already sent {len(summary.skipped)}, "
            f"failed {len(summary.failed)}",
            err=True,
        )
        if summary.failed:
            raise click.ClickException("; ".join(summary.failed[:5]))
