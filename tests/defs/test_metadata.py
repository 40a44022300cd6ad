"""Metadata tables read like a report: inline tables, names beside ids, numbers rounded."""

import datetime as dt

import polars as pl
from dagster import TableMetadataValue

from promoteros_pipelines.defs.metadata import preview_table, with_artist_names


def test_tables_render_inline_with_people_formatting():
    frame = pl.DataFrame(
        {
            "artist_id": [12345],
            "followers": [1234567],
            "growth_1d": [0.12345],
            "peak_strength": [38.41442735627839],
            "detected_at": [dt.datetime(2026, 11, 29, 6, 30, tzinfo=dt.UTC)],
            "platforms": [["tiktok", "instagram"]],
        }
    )
    table = preview_table(frame)
    assert isinstance(table, TableMetadataValue)  # drawn inline, not behind "[Show Markdown]"
    assert table.records[0].data == {
        "artist_id": "12345",
        "followers": "1,234,567",
        "growth_1d": "12.3 %",
        "peak_strength": "38.41",
        "detected_at": "2026-11-29 06:30 UTC",
        "platforms": "tiktok, instagram",
    }
    assert [c.name for c in table.schema.columns] == list(frame.columns)


def test_artist_names_sit_beside_their_ids(warehouse):
    warehouse.execute(
        "INSERT INTO promoteros.artists (artist_id, name, normalized_name, source)"
        " OVERRIDING SYSTEM VALUE VALUES (7, 'Bea Ludor', 'bea ludor', 'test')"
    )
    named = with_artist_names(warehouse, pl.DataFrame({"artist_id": [7, 8], "score": [1.0, 2.0]}))
    assert named.columns == ["artist_id", "artist", "score"]
    assert named["artist"].to_list() == ["Bea Ludor", None]
