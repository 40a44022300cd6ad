"""From a ``report.request`` payload to a resolved report scope, or a clear refusal.

The ingress already checked the payload's shape (pydantic ``ReportRequest``); this adds the
rules that need the warehouse or are about cost: the organisation exists, every named artist
and venue is known, at least one of them is named, and the range is at most a year.
Refusals name what is wrong and what to change, because they end up in the event's error.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, get_args

import polars as pl
from pydantic import ValidationError

from promoteros_pipelines.domain.discovery import normalized_name
from promoteros_pipelines.events import MetricName, ReportRequest
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

CANONICAL_METRICS: tuple[str, ...] = get_args(MetricName)
MAX_RANGE_DAYS = 366


class ReportRefused(ValueError):
    """The request cannot become a report; the message is shown to the requester and ops."""


@dataclass(frozen=True)
class ReportScope:
    """A validated request with its names resolved to warehouse ids."""

    request: ReportRequest
    organisation_id: int
    organisation_name: str
    metrics: tuple[str, ...]
    artist_ids: tuple[int, ...]
    venue_ids: tuple[int, ...]

    @property
    def date_from(self) -> date:
        return self.request.date_from

    @property
    def date_to(self) -> date:
        return self.request.date_to


def parse_request(payload: Any) -> ReportRequest:
    """The payload as a ``ReportRequest``, or ReportRefused naming each bad field."""
    try:
        return ReportRequest.model_validate(payload)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'payload'}: {item['msg']}"
            for item in error.errors(include_input=False, include_url=False)
        )
        raise ReportRefused(f"the report request is invalid: {problems}") from None


def check_shape(request: ReportRequest) -> None:
    """Rules that need no database."""
    if not request.artists and not request.venues:
        raise ReportRefused("name at least one artist in 'artists' or one venue in 'venues'")
    days = (request.date_to - request.date_from).days + 1
    if days > MAX_RANGE_DAYS:
        raise ReportRefused(
            f"the date range covers {days} days; ask for at most {MAX_RANGE_DAYS} days per report"
        )
    unknown = sorted(set(request.metrics) - set(CANONICAL_METRICS))
    if unknown:
        raise ReportRefused(
            f"unknown metrics {unknown}; choose among {', '.join(CANONICAL_METRICS)}"
        )


def resolve(warehouse: PostgresWarehouse, request: ReportRequest) -> ReportScope:
    """Validate ``request`` against the warehouse and resolve its names to ids."""
    check_shape(request)
    organisations = warehouse.read_frame(
        "SELECT organisation_id, name FROM promoteros.organisations WHERE slug = $1",
        [request.organisation],
    )
    if organisations.is_empty():
        raise ReportRefused(f"no organisation '{request.organisation}'; check the slug")
    organisation_id = int(organisations["organisation_id"][0])
    return ReportScope(
        request=request,
        organisation_id=organisation_id,
        organisation_name=str(organisations["name"][0]),
        metrics=tuple(request.metrics) or CANONICAL_METRICS,
        artist_ids=_artist_ids(warehouse, request.artists),
        venue_ids=_venue_ids(warehouse, organisation_id, request.venues),
    )


def _artist_ids(warehouse: PostgresWarehouse, names: list[str]) -> tuple[int, ...]:
    if not names:
        return ()
    wanted = pl.DataFrame({"requested": names}).with_columns(
        normalized_name(pl.col("requested")).alias("key")
    )
    found = warehouse.read_frame(
        "SELECT artist_id, normalized_name AS key FROM promoteros.artists "
        "WHERE normalized_name = ANY($1)",
        [wanted["key"].unique().to_list()],
    )
    matched = wanted.join(found, on="key", how="left")
    missing = matched.filter(pl.col("artist_id").is_null())["requested"].to_list()
    if missing:
        raise ReportRefused(
            f"unknown artists: {', '.join(missing[:10])}; check the names or track them first "
            "with an artist.watch webhook"
        )
    return tuple(sorted(set(matched["artist_id"].cast(pl.Int64).to_list())))


def _venue_ids(
    warehouse: PostgresWarehouse, organisation_id: int, slugs: list[str]
) -> tuple[int, ...]:
    if not slugs:
        return ()
    found = warehouse.read_frame(
        "SELECT venue_id, slug FROM promoteros.venues "
        "WHERE organisation_id = $1 AND slug = ANY($2)",
        [organisation_id, list(dict.fromkeys(slugs))],
    )
    missing = sorted(set(slugs) - set(found["slug"].to_list()))
    if missing:
        raise ReportRefused(
            f"unknown venues for this organisation: {', '.join(missing[:10])}; use venue slugs"
        )
    return tuple(sorted(found["venue_id"].cast(pl.Int64).to_list()))
