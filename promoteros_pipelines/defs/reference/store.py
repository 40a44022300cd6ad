"""Write validated reference data to the warehouse, keyed by natural keys.

Organisations by ``slug``, venues by (organisation, ``slug``), recipients by (organisation,
``email``). Loading the same files twice changes nothing; rows missing from new files are
kept (other tables refer to them), so retire a venue by editing it, not by deleting its row.
"""

import polars as pl

from promoteros_pipelines.defs.reference.loader import ReferenceData
from promoteros_pipelines.resources.warehouse import PostgresWarehouse


def store_organisations(warehouse: PostgresWarehouse, organisations: pl.DataFrame) -> int:
    return warehouse.upsert("organisations", organisations, key=["slug"])


def _organisation_ids(warehouse: PostgresWarehouse) -> pl.DataFrame:
    return warehouse.read_table("organisations", ["organisation_id", "slug"]).rename(
        {"slug": "organisation"}
    )


def store_venues(warehouse: PostgresWarehouse, venues: pl.DataFrame) -> int:
    rows = venues.join(_organisation_ids(warehouse), on="organisation", how="inner").drop(
        "organisation"
    )
    return warehouse.upsert("venues", rows, key=["organisation_id", "slug"])


def store_recipients(warehouse: PostgresWarehouse, recipients: pl.DataFrame) -> int:
    venue_ids = warehouse.read_table("venues", ["venue_id", "organisation_id", "slug"]).rename(
        {"slug": "venue"}
    )
    rows = (
        recipients.join(_organisation_ids(warehouse), on="organisation", how="inner")
        .join(venue_ids, on=["organisation_id", "venue"], how="left")
        .drop("organisation", "venue")
    )
    return warehouse.upsert("recipients", rows, key=["organisation_id", "email"])


def store_reference(warehouse: PostgresWarehouse, data: ReferenceData) -> dict[str, int]:
    """Upsert all three tables in dependency order; return rows inserted or changed per table."""
    return {
        "organisations": store_organisations(warehouse, data.organisations),
        "venues": store_venues(warehouse, data.venues),
        "recipients": store_recipients(warehouse, data.recipients),
    }
