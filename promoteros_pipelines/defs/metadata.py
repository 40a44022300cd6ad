"""Asset metadata an analyst reads at a glance in the Dagster UI."""

import polars as pl
from dagster import MetadataValue


def markdown_table(frame: pl.DataFrame, limit: int = 10) -> MetadataValue:
    """The first ``limit`` rows as a markdown table (pipes in values escaped)."""
    shown = frame.head(limit)
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)

    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.iter_rows()]
    return MetadataValue.md("\n".join([header, rule, *body]))
