"""Reference files: the shipped ones load; a bad row is named by file, row and field."""

import shutil
from pathlib import Path

import pytest

from promoteros_pipelines.defs.reference.loader import (
    ReferenceDataError,
    default_reference_dir,
    read_reference,
)
from promoteros_pipelines.defs.reference.store import store_reference
from promoteros_pipelines.domain.genres import is_known


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(default_reference_dir(), target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_shipped_reference_data_is_valid_and_spans_several_countries():
    data = read_reference()
    assert data.organisations.height >= 2
    assert data.venues.height >= 24
    assert set(data.venues["country"]) >= {"GB", "DE", "NL"}
    assert set(data.recipients["role"]) == {"exec", "ops", "venue_manager", "analyst"}


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("organisations.csv", "Europe/London", "Europe/Londn", r"row 2, field 'time_zone'"),
        ("organisations.csv", ",GBP", ",pounds", r"row 2, field 'currency'"),
        ("venues.csv", ",4921,", ",-5,", r"row 2, field 'capacity'"),
        ("venues.csv", "51.4652", "151.4652", r"row 2, field 'latitude'"),
        ("recipients.csv", "harriet.okafor@", "harriet.okafor.at.", r"row 2, field 'email'"),
        ("recipients.csv", ",exec,", ",boss,", r"row 2, field 'role'"),
        ("recipients.csv", "barrowland-ballroom", "nowhere", r"names venue 'nowhere'"),
        ("venues.csv", "northern-lights-live,koko", "unknown-org,koko", r"unknown organisation"),
        ("venues.csv", "koko-camden", "brixton-academy", r"duplicate organisation/slug"),
    ],
)
def test_a_bad_row_is_reported_with_file_row_and_field(reference_dir, file, old, new, message):
    _replace(reference_dir / file, old, new)
    with pytest.raises(ReferenceDataError, match=message) as error:
        read_reference(reference_dir)
    assert file in str(error.value)


def test_a_venue_manager_needs_a_venue(reference_dir):
    _replace(
        reference_dir / "recipients.csv", "venue_manager,barrowland-ballroom", "venue_manager,"
    )
    with pytest.raises(ReferenceDataError, match="needs a venue"):
        read_reference(reference_dir)


def test_a_missing_file_is_named(reference_dir):
    (reference_dir / "venues.csv").unlink()
    with pytest.raises(ReferenceDataError, match=r"no venues\.csv or venues\.yaml"):
        read_reference(reference_dir)


def test_yaml_files_are_accepted(reference_dir):
    (reference_dir / "organisations.csv").unlink()
    (reference_dir / "organisations.yaml").write_text(
        "- {slug: northern-lights-live, name: Northern Lights Live,"
        " time_zone: Europe/London, currency: GBP}\n"
        "- {slug: spreewelle-konzerte, name: Spreewelle, time_zone: Europe/Berlin, currency: EUR}\n"
        "- {slug: grachten-sound, name: Grachten, time_zone: Europe/Amsterdam, currency: EUR}\n"
    )
    assert read_reference(reference_dir).organisations.height == 3


def test_storing_twice_changes_nothing_and_keeps_links(warehouse):
    data = read_reference()
    first = store_reference(warehouse, data)
    assert first == {
        "organisations": data.organisations.height,
        "venues": data.venues.height,
        "recipients": data.recipients.height,
    }
    assert store_reference(warehouse, data) == {"organisations": 0, "venues": 0, "recipients": 0}
    managers = warehouse.read_frame(
        "SELECT r.email, v.slug FROM promoteros.recipients r"
        " JOIN promoteros.venues v USING (venue_id) WHERE r.role = 'venue_manager'"
        " ORDER BY r.email"
    )
    assert ("callum.reid@northernlights.example", "barrowland-ballroom") in managers.rows()


def test_venue_genres_are_stored_in_the_shared_vocabulary(reference_dir):
    _replace(reference_dir / "venues.csv", "indie|pop|hip-hop", "Hip Hop|rap| Indie |Dark Techno")
    venues = read_reference(reference_dir).venues
    koko = venues.filter(venues["slug"] == "koko-camden")["genres"].to_list()[0]
    assert list(koko) == ["dark techno", "hip-hop", "indie"]


def test_shipped_venue_genres_are_all_known_to_the_taxonomy():
    for genres in read_reference().venues["genres"].to_list():
        assert genres and all(is_known(genre) for genre in genres), genres


def test_venue_costs_are_shipped_stored_and_optional(reference_dir, warehouse):
    data = read_reference()
    assert (data.venues["fixed_cost"] > 0).all() and (data.venues["cost_per_head"] > 0).all()
    store_reference(warehouse, data)
    stored = warehouse.read_frame(
        "SELECT fixed_cost::float8 AS fixed, cost_per_head::float8 AS per_head"
        " FROM promoteros.venues WHERE slug = 'king-tuts'"
    )
    assert stored.row(0) == (1750.0, 2.5)  # 600 + 9 x 300^0.85, to the nearest 50; small room
    venues = reference_dir / "venues.csv"
    lines = venues.read_text().splitlines()
    without = [",".join(line.split(",")[:-2]) for line in lines]  # an older file: no costs
    venues.write_text("\n".join(without) + "\n")
    older = read_reference(reference_dir)
    assert older.venues["fixed_cost"].cast(float).sum() == 0
