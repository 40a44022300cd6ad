"""The layout's promises, read from the code's imports (every import, function bodies too)."""

from pathlib import Path

import pytest

from scripts.import_graph import graph, third_party_reach

PACKAGE = Path(__file__).resolve().parents[1] / "promoteros_pipelines"


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (
            "promoteros_pipelines.domain",
            {"dagster", "psycopg", "psycopg2", "httpx", "adbc_driver_postgresql"},
        ),
        ("promoteros_pipelines.ingress", {"dagster", "dagster_postgres", "dagster_webserver"}),
        ("promoteros_pipelines.report_store", {"dagster"}),
        ("promoteros_pipelines.events", {"dagster"}),
        ("promoteros_pipelines.rendering", {"dagster"}),
    ],
)
def test_a_layer_reaches_none_of_its_forbidden_libraries(layer, forbidden):
    reach = third_party_reach(PACKAGE, layer)
    found = {library: sorted(reach[library]) for library in forbidden & set(reach)}
    assert not found, f"{layer} imports, directly or through our modules: {found}"


def test_the_packages_import_each_other_without_cycles():
    figures = graph(PACKAGE)
    assert figures["cycles"] == []
