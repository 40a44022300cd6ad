"""The archive's pure rules: which months are due, partition names, and a content checksum
that ignores row order and batching but notices any changed, missing or extra row."""

import datetime as dt

import polars as pl
import pytest

from promoteros_pipelines.domain.archive import (
    archive_cutoff,
    content_checksum,
    month_of_partition,
    months_due,
    parse_month,
    partition_name,
)
from promoteros_pipelines.domain.maintenance import Step, summary_markdown

UTC = dt.UTC


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "artist_id": [1, 1, 2, 3],
            "platform": ["spotify", "youtube", "spotify", "tiktok"],
            "metric": ["followers", "views", "followers", "likes"],
            "observed_at": [dt.datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3, 4)],
            "value": [10.0, 0.0, -0.0, 1e12],
            "source": ["api", "api", "scraper", "api"],
            "ingested_at": [dt.datetime(2024, 2, 1, tzinfo=UTC)] * 4,
        }
    )


def test_thirteen_months_and_the_current_one_are_kept() -> None:
    today = dt.date(2025, 6, 10)
    assert archive_cutoff(today, 13) == dt.date(2024, 5, 1)
    months = [dt.date(2024, m, 1) for m in range(1, 13)]
    assert months_due(months, today, 13) == [dt.date(2024, m, 1) for m in (1, 2, 3, 4)]
    assert months_due(months, today, 24) == []


def test_partition_names_and_months() -> None:
    assert partition_name(dt.date(2024, 3, 1)) == "metric_observations_p2024_03"
    assert month_of_partition("metric_observations_p2024_03") == dt.date(2024, 3, 1)
    assert month_of_partition("metric_observations_default") is None
    assert parse_month("2024-03") == dt.date(2024, 3, 1)
    for bad in ("2024-13", "March", "2024-3-01"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_month(bad)


def test_the_checksum_ignores_order_and_batches_but_not_content() -> None:
    frame = _frame()
    whole = content_checksum(frame)
    assert content_checksum(frame.reverse()) == whole
    assert content_checksum(frame.slice(2), content_checksum(frame.slice(0, 2))) == whole
    assert content_checksum(frame.head(3)) != whole
    assert content_checksum(pl.concat([frame, frame.head(1)])) != whole
    second_row = pl.int_range(pl.len()) == 1
    for column, other in (("value", 0.1), ("source", "scraper"), ("artist_id", 9)):
        changed = frame.with_columns(
            pl.when(second_row).then(pl.lit(other)).otherwise(pl.col(column)).alias(column)
        )
        assert content_checksum(changed) != whole, column


def test_the_summary_names_a_failed_step() -> None:
    text = summary_markdown(
        [Step("retention", rows=3), Step("archive", failed="ArchiveError: missing")]
    )
    assert "| Retention (rows deleted) | ok | 3 settled rows deleted |" in text
    assert "| Old months archived | FAILED | failed: ArchiveError: missing |" in text
