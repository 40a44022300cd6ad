"""What a valid reference row is: one pydantic model per file, checked field by field."""

from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from promoteros_pipelines.domain.genres import canonical_list

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/London)"
        ) from error
    return value


def _genres(value: str | list[str]) -> list[str]:
    """Genres in the shared vocabulary (``domain/genres.py``), so "Hip Hop" and "rap" are both
    stored as "hip-hop" and match the artists' genres; a genre the vocabulary does not know is
    kept, lower-cased. Sorted, without repeats."""
    items = value.split("|") if isinstance(value, str) else value
    return sorted(set(canonical_list(items)))


TimeZone = Annotated[str, AfterValidator(_time_zone)]


class ReferenceRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationRow(ReferenceRow):
    slug: Slug
    name: Name
    time_zone: TimeZone
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class VenueRow(ReferenceRow):
    organisation: Slug
    slug: Slug
    name: Name
    city: Name
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    capacity: int = Field(gt=0, le=200_000)
    genres: Annotated[list[str], Field(min_length=0)] = []
    typical_ticket_price: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    # One show's room, staff, security and production; and ticketing, cleaning and
    # stewarding per ticket sold (the booking projection's costs; 0 when not known).
    fixed_cost: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=2)
    cost_per_head: Decimal = Field(default=Decimal(0), ge=0, max_digits=10, decimal_places=2)

    @classmethod
    def model_validate_row(cls, row: dict) -> "VenueRow":
        genres = row.get("genres")
        blank_costs = [k for k in ("fixed_cost", "cost_per_head") if row.get(k) in ("", None)]
        row = {k: v for k, v in row.items() if k not in blank_costs}
        return cls.model_validate({**row, "genres": _genres(genres or [])})


class RecipientRow(ReferenceRow):
    organisation: Slug
    name: Name
    email: EmailStr
    role: Literal["exec", "ops", "venue_manager", "analyst"]
    venue: Slug | None = None
    time_zone: TimeZone | None = None
