"""The report table as CSV, XLSX or JSON bytes (PDF goes through ``reports.render``).

Spreadsheet apps run a cell that starts with ``= + - @`` (or a tab or carriage return,
which some of them strip first) as a formula, so an artist called ``=HYPERLINK(...)`` could
act on the reader's machine. In CSV and XLSX such text cells get a leading single quote
(OWASP's advice); numbers are written as numbers and stay untouched.
"""

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

FORMULA_TRIGGERS = r"^[=+\-@\t\r]"


@dataclass(frozen=True)
class ReportHeader:
    """What the report is about, printed above or alongside the rows."""

    title: str
    organisation: str
    date_from: date
    date_to: date
    metrics: tuple[str, ...]
    generated_at: datetime


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell that a spreadsheet would evaluate gets a leading ``'``."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_TRIGGERS))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def _neutralise_text(value: str) -> str:
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def to_csv(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV with a header row; dates as ISO text, empty cells for missing values."""
    return neutralise_formulas(frame).write_csv(date_format="%Y-%m-%d").encode()


def to_xlsx(frame: pl.DataFrame, header: ReportHeader) -> bytes:
    """One sheet with the rows (typed cells) and one with the request's parameters."""
    # imported here: every run worker loads this module, few runs write a spreadsheet
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Report")
    bold = Font(bold=True)
    titles = []
    for name in frame.columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        titles.append(cell)
    sheet.append(titles)
    dates = [i for i, dtype in enumerate(frame.dtypes) if dtype == pl.Date]
    # openpyxl writes cell by cell; iter_rows streams tuples, and only date cells get a
    # cell object (for an ISO date format instead of Excel's date-and-time default).
    for row in neutralise_formulas(frame).iter_rows():
        cells: list[Any] = list(row)
        for index in dates:
            if cells[index] is not None:
                cells[index] = WriteOnlyCell(sheet, value=cells[index])
                cells[index].number_format = "yyyy-mm-dd"
        sheet.append(cells)
    about = workbook.create_sheet("About")
    for label, value in _about(header):
        about.append([label, _neutralise_text(value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _about(header: ReportHeader) -> list[tuple[str, str]]:
    return [
        ("Title", header.title),
        ("Organisation", header.organisation),
        ("From", header.date_from.isoformat()),
        ("To", header.date_to.isoformat()),
        ("Metrics", ", ".join(header.metrics)),
        ("Generated", header.generated_at.isoformat(timespec="seconds")),
    ]


def to_json(frame: pl.DataFrame, header: ReportHeader) -> bytes:
    """``{"report": {...parameters}, "rows": [...]}``; JSON needs no formula neutralising."""
    document: dict[str, Any] = {
        "report": {
            "title": header.title,
            "organisation": header.organisation,
            "date_from": header.date_from.isoformat(),
            "date_to": header.date_to.isoformat(),
            "metrics": list(header.metrics),
            "generated_at": header.generated_at.isoformat(timespec="seconds"),
            "rows": frame.height,
        },
        "rows": json.loads(frame.write_json()),
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()
