"""Reference data every other group needs: promoters, their venues, and who gets reports."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MaterializeResult,
    MetadataValue,
    asset,
)

from promoteros_pipelines.defs.metadata import markdown_table
from promoteros_pipelines.defs.reference import store
from promoteros_pipelines.defs.reference.loader import default_reference_dir, read_reference
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

GROUP = "reference"
KINDS = {"polars", "postgres"}
OWNERS = ["team:data-platform"]
NON_EMPTY = "NON_EMPTY"


def _non_empty(name: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            NON_EMPTY,
            asset=name,
            blocking=True,
            description=f"{name} has at least one row; reports and alerts need it.",
        )
    ]


def _result(warehouse: PostgresWarehouse, table: str, changed: int, preview: list[str]):
    stored = warehouse.read_table(table)
    return MaterializeResult(
        metadata={
            "rows": MetadataValue.int(stored.height),
            "rows_inserted_or_changed": MetadataValue.int(changed),
            "source_dir": MetadataValue.path(str(default_reference_dir())),
            "preview": markdown_table(stored.select(preview)),
        },
        check_results=[
            AssetCheckResult(
                check_name=NON_EMPTY,
                passed=stored.height > 0,
                severity=AssetCheckSeverity.ERROR,
                metadata={"rows": stored.height},
            )
        ],
    )


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    check_specs=_non_empty("organisations"),
)
def organisations(warehouse: PostgresWarehouse) -> MaterializeResult:
    """Promoter companies using PromoterOS, each with its time zone (for schedules and
    reports) and currency. One row per organisation, keyed by `slug`."""
    data = read_reference()
    changed = store.store_organisations(warehouse, data.organisations)
    return _result(warehouse, "organisations", changed, ["slug", "name", "time_zone", "currency"])


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=[organisations],
    check_specs=_non_empty("venues"),
)
def venues(warehouse: PostgresWarehouse) -> MaterializeResult:
    """Venues each promoter books: city, coordinates, capacity, the genres that work there and
    a typical ticket price. Keyed by (organisation, `slug`)."""
    data = read_reference()
    changed = store.store_venues(warehouse, data.venues)
    return _result(warehouse, "venues", changed, ["slug", "name", "city", "country", "capacity"])


@asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    deps=[organisations, venues],
    check_specs=_non_empty("recipients"),
)
def recipients(warehouse: PostgresWarehouse) -> MaterializeResult:
    """People who receive alerts and reports: executives, operations, analysts and venue
    managers (with their venue). Keyed by (organisation, `email`)."""
    data = read_reference()
    changed = store.store_recipients(warehouse, data.recipients)
    return _result(warehouse, "recipients", changed, ["name", "email", "role"])
