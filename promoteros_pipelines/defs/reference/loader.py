"""Read and validate the reference files (organisations, venues, recipients).

The files ship in ``promoteros_pipelines/defs/reference/data``; users replace them or point
``promoteros load reference DIR`` (or ``PROMOTEROS_REFERENCE_DIR``) at their own. Each file may
be CSV (genres separated by ``|``) or YAML (a list of mappings). Every problem is reported with
the file, the row and the field, and nothing is written unless all three files are valid.
"""

import csv
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import polars as pl
import yaml
from pydantic import ValidationError

from promoteros_pipelines.defs.reference.models import (
    OrganisationRow,
    RecipientRow,
    ReferenceRow,
    VenueRow,
)

REFERENCE_DIR_ENV = "PROMOTEROS_REFERENCE_DIR"
SUFFIXES = (".csv", ".yaml", ".yml")


class ReferenceDataError(ValueError):
    """A reference file is missing or has a bad row; the message names file, row and field."""


@dataclass(frozen=True)
class ReferenceData:
    organisations: pl.DataFrame
    venues: pl.DataFrame
    recipients: pl.DataFrame


def default_reference_dir() -> Path:
    configured = os.environ.get(REFERENCE_DIR_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(str(files("promoteros_pipelines.defs.reference") / "data"))


def _find(directory: Path, stem: str) -> Path:
    for suffix in SUFFIXES:
        candidate = directory / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    raise ReferenceDataError(
        f"{directory}: no {stem}.csv or {stem}.yaml found (expected organisations, venues "
        "and recipients files side by side)"
    )


def _raw_rows(path: Path) -> list[tuple[int, dict]]:
    """Rows with the line number a person sees in an editor (CSV header is line 1)."""
    try:
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                return [
                    (reader.line_num, {k: (v if v != "" else None) for k, v in row.items()})
                    for row in reader
                ]
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError, csv.Error) as error:
        raise ReferenceDataError(f"{path}: cannot be read: {error}") from error
    if not isinstance(loaded, list) or not all(isinstance(row, dict) for row in loaded):
        raise ReferenceDataError(f"{path}: expected a YAML list of mappings, one per row")
    return [(index, row) for index, row in enumerate(loaded, start=1)]


def _validate(path: Path, model: type[ReferenceRow]) -> list[dict]:
    rows = []
    for line, raw in _raw_rows(path):
        if None in raw:
            raise ReferenceDataError(f"{path}, row {line}: more values than columns")
        try:
            parse = getattr(model, "model_validate_row", model.model_validate)
            rows.append(parse(raw).model_dump())
        except ValidationError as error:
            problem = error.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "(row)"
            raise ReferenceDataError(
                f"{path}, row {line}, field {field!r}: {problem['msg']}"
                f" (got {problem.get('input')!r})"
            ) from error
    if not rows:
        raise ReferenceDataError(f"{path}: has no rows")
    return rows


def _check_unique(path: Path, rows: list[dict], key: tuple[str, ...]) -> None:
    seen: set[tuple] = set()
    for row in rows:
        value = tuple(row[name] for name in key)
        if value in seen:
            raise ReferenceDataError(f"{path}: duplicate {'/'.join(key)} {'/'.join(value)}")
        seen.add(value)


def read_reference(directory: Path | None = None) -> ReferenceData:
    """Load and cross-check the three reference files in ``directory``."""
    directory = directory or default_reference_dir()
    if not directory.is_dir():
        raise ReferenceDataError(f"{directory}: not a directory")
    org_path, venue_path, recipient_path = (
        _find(directory, stem) for stem in ("organisations", "venues", "recipients")
    )
    organisations = _validate(org_path, OrganisationRow)
    venues = _validate(venue_path, VenueRow)
    recipients = _validate(recipient_path, RecipientRow)
    _check_unique(org_path, organisations, ("slug",))
    _check_unique(venue_path, venues, ("organisation", "slug"))
    _check_unique(recipient_path, recipients, ("organisation", "email"))

    org_slugs = {row["slug"] for row in organisations}
    venue_keys = {(row["organisation"], row["slug"]) for row in venues}
    for row in venues:
        if row["organisation"] not in org_slugs:
            raise ReferenceDataError(
                f"{venue_path}: venue {row['slug']!r} names unknown organisation "
                f"{row['organisation']!r}"
            )
    for row in recipients:
        where = f"{recipient_path}: recipient {row['email']!r}"
        if row["organisation"] not in org_slugs:
            raise ReferenceDataError(f"{where} names unknown organisation {row['organisation']!r}")
        if row["venue"] and (row["organisation"], row["venue"]) not in venue_keys:
            raise ReferenceDataError(
                f"{where} names venue {row['venue']!r}, which {row['organisation']!r} does not have"
            )
        if row["role"] == "venue_manager" and not row["venue"]:
            raise ReferenceDataError(f"{where} is a venue_manager and needs a venue")

    return ReferenceData(
        organisations=pl.DataFrame(organisations),
        venues=pl.DataFrame(
            venues,
            schema_overrides={
                "typical_ticket_price": pl.Decimal(10, 2),
                "capacity": pl.Int32,
                "fixed_cost": pl.Decimal(12, 2),
                "cost_per_head": pl.Decimal(10, 2),
            },
        ),
        recipients=pl.DataFrame(
            recipients, schema_overrides={"venue": pl.String, "time_zone": pl.String}
        ),
    )


def organisation_time_zones(directory: Path | None = None) -> tuple[str, ...]:
    """Distinct, validated time zones of the organisations file, sorted; empty when the file
    cannot be read (schedules built from it must not take the code location down).

    Reads only the organisations file: schedules call this when the definitions load.
    """
    directory = directory or default_reference_dir()
    try:
        rows = _validate(_find(directory, "organisations"), OrganisationRow)
    except ReferenceDataError:
        return ()
    return tuple(sorted({row["time_zone"] for row in rows}))
