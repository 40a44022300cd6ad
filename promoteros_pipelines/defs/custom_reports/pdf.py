"""The custom report as a PDF, through the reports package's renderer (same templates, same
autoescaping, same no-remote-fetch WeasyPrint setup): a summary per series, then the days."""

from pathlib import Path
from typing import Any

import polars as pl

from promoteros_pipelines.defs.custom_reports.formats import ReportHeader

TEMPLATE = Path(__file__).resolve().parent / "templates" / "custom_report.html.j2"
MAX_DETAIL_ROWS = 2_000  # beyond this a PDF stops being readable; xlsx/csv hold everything
SERIES = ["artist", "platform", "metric"]


def _column(key: str, title: str, num: bool = False) -> dict[str, Any]:
    return {"key": key, "title": title, "num": num}


def summary_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """First and last value of each series in the range, and the change between them."""
    return (
        frame.sort([*SERIES, "day"])
        .group_by(SERIES, maintain_order=True)
        .agg(
            pl.col("day").first().alias("first_day"),
            pl.col("value").first().alias("first"),
            pl.col("day").last().alias("last_day"),
            pl.col("value").last().alias("last"),
        )
        .with_columns(
            change=pl.col("last") - pl.col("first"),
            change_pct=pl.when(pl.col("first") > 0)
            .then((pl.col("last") - pl.col("first")) / pl.col("first"))
            .otherwise(None),
        )
    )


def _display(frame: pl.DataFrame, numbers: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of display text (numbers grouped, missing as n/a)."""
    from promoteros_pipelines.rendering import render  # WeasyPrint loads on first use

    rows = frame.to_dicts()
    for row in rows:
        for key in numbers:
            row[key] = render.format_number(row[key], 0 if key != "change_pct" else 1)
    return rows


def render_report_pdf(frame: pl.DataFrame, header: ReportHeader) -> bytes:
    from promoteros_pipelines.rendering import render

    summary = summary_rows(frame).with_columns((pl.col("change_pct") * 100).alias("change_pct"))
    detail = frame.head(MAX_DETAIL_ROWS).with_columns(pl.col("fits_venues").fill_null(""))
    context = {
        "document_title": header.title,
        "header": header,
        "generated": f"{header.generated_at:%Y-%m-%d %H:%M} UTC",
        "row_count": frame.height,
        "summary_columns": [
            _column("artist", "Artist"),
            _column("platform", "Platform"),
            _column("metric", "Metric"),
            _column("first_day", "From"),
            _column("first", "Value", True),
            _column("last_day", "To"),
            _column("last", "Value", True),
            _column("change", "Change", True),
            _column("change_pct", "Change %", True),
        ],
        "summary": _display(summary, ["first", "last", "change", "change_pct"]),
        "detail_columns": [
            _column("day", "Day"),
            _column("artist", "Artist"),
            _column("platform", "Platform"),
            _column("metric", "Metric"),
            _column("value", "Value", True),
            _column("change", "Change", True),
            _column("fits_venues", "Fits venues"),
        ],
        "detail": _display(detail, ["value", "change"]),
        "detail_truncated": frame.height > MAX_DETAIL_ROWS,
    }
    html = render.environment().from_string(TEMPLATE.read_text()).render(**context)
    return render.html_to_pdf(html)
