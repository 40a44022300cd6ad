"""The payloads n8n, the scrapers, ticketing and the UI may send, one pydantic model per type.

The ingress validates with these before it stores anything, and the sensors read the stored
payloads back with the same models (``parse_event``), so both sides agree on one contract.
Unknown fields are refused (422 naming the field) rather than silently dropped: a misspelt
optional field would otherwise vanish without anyone noticing.
"""

import os
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

MAX_OBSERVATIONS = 5_000
PIPELINE_TRIGGER_ALLOWLIST_ENV = "PROMOTEROS_PIPELINE_TRIGGER_ALLOWLIST"
# Run tags a pipeline.trigger may set: ``n8n/<name>``, the name a letter or digit then up to 62
# letters, digits, ``_``, ``.`` or ``-``. Dagster's own tags (``dagster/*``, ``.dagster/*``) and
# ours (``promoteros/*``) steer priority, retries and the run queue, so they never come from a
# webhook; values are printable text.
TRIGGER_TAG_PREFIX = "n8n/"
TRIGGER_TAG_KEY_PATTERN = r"^n8n/[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
TRIGGER_TAG_VALUE_PATTERN = r"^[^\x00-\x1f\x7f]*$"

ScrapedPlatform = Literal["spotify", "youtube", "tiktok", "instagram"]
WatchPlatform = Literal["spotify", "youtube", "tiktok", "instagram", "bandsintown"]
MetricName = Literal["followers", "views", "likes", "comments", "shares", "posts", "popularity"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
# ids and slugs: no control characters (a "\x1f" id would be accepted and match nothing)
Identifier = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]

# Asset and job names a webhook may start; extend with PROMOTEROS_PIPELINE_TRIGGER_ALLOWLIST.
DEFAULT_PIPELINE_TARGETS = frozenset(
    {
        "trending_candidates",
        "trending_artists",  # the old name of trending_candidates, still accepted
        "tracked_artists",
        "platform_metrics",
        "daily_artist_metrics",
        "viral_signals",
        "viral_events",
        "booking_scores",
        "booking_opportunities",
        "ticket_sales",
        "show_sell_through",
        "daily_digest",
        "weekly_executive_report",
    }
)


TriggerTagKey = Annotated[str, StringConstraints(pattern=TRIGGER_TAG_KEY_PATTERN)]
TriggerTagValue = Annotated[
    str, StringConstraints(max_length=300, pattern=TRIGGER_TAG_VALUE_PATTERN)
]


class EventModel(BaseModel):
    """Base of every webhook payload: strict about unknown fields, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricObservation(EventModel):
    """One scraped number: an artist's metric on a platform at a moment."""

    platform: ScrapedPlatform
    external_id: Identifier
    artist_name: Text | None = None
    metric: MetricName
    value: float = Field(ge=0, allow_inf_nan=False)
    observed_at: AwareDatetime


class ScraperMetrics(EventModel):
    """``scraper.metrics``: a batch of observations for one or many artists."""

    observations: list[MetricObservation] = Field(min_length=1, max_length=MAX_OBSERVATIONS)


class ArtistWatch(EventModel):
    """``artist.watch``: start tracking an artist, by platform ids and/or name."""

    artist_name: Text
    platform_ids: dict[WatchPlatform, Identifier] = Field(default_factory=dict)
    genres: list[Text] = Field(default_factory=list, max_length=20)
    home_city: Text | None = None
    reason: Text | None = None
    requested_by: Text | None = None


class TicketSale(EventModel):
    """Cumulative sales of a show at one moment (a point on its sales curve)."""

    observed_at: AwareDatetime
    tickets_sold: int = Field(ge=0)
    gross: float | None = Field(default=None, ge=0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


class TicketingSales(EventModel):
    """``ticketing.sales``: sales for one show, identified by the ticketing system's id."""

    show_id: Identifier
    venue_slug: Identifier | None = None
    artist_name: Text | None = None
    show_date: date | None = None
    capacity: int | None = Field(default=None, gt=0)
    sales: list[TicketSale] = Field(min_length=1, max_length=10_000)


class ReportRequest(EventModel):
    """``report.request``: a custom report's parameters; the link is mailed to ``email``."""

    organisation: Identifier
    date_from: date
    date_to: date
    metrics: list[MetricName] = Field(default_factory=list, max_length=20)
    artists: list[Text] = Field(default_factory=list, max_length=500)
    venues: list[Identifier] = Field(default_factory=list, max_length=500)
    format: Literal["pdf", "xlsx", "csv", "json"] = "pdf"
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$", max_length=300)]
    title: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "ReportRequest":
        if self.date_to < self.date_from:
            raise ValueError("date_to must be on or after date_from")
        return self


class ApprovalDecision(EventModel):
    """``approval.decision``: a person approved or rejected a pending approval."""

    approval_id: Identifier
    decision: Literal["approved", "rejected"]
    decided_by: Text
    reason: Annotated[str, StringConstraints(max_length=2_000)] | None = None
    decided_at: AwareDatetime | None = None


class BookingResponse(EventModel):
    """``booking.response``: the artist's management answered a booking offer.

    ``opportunity_id`` must name an existing booking opportunity: the ingress refuses an
    unknown one with 422 naming it. ``accepted`` and ``declined`` close the opportunity; a
    ``counter`` is recorded with its note and keeps it open for the people to negotiate.
    """

    opportunity_id: int = Field(gt=0, le=2**63 - 1)
    response: Literal["accepted", "declined", "counter"]
    note: Annotated[str, StringConstraints(max_length=2_000)] | None = None


def allowed_pipeline_targets() -> frozenset[str]:
    """The default allow-list plus names from PROMOTEROS_PIPELINE_TRIGGER_ALLOWLIST."""
    extra = os.environ.get(PIPELINE_TRIGGER_ALLOWLIST_ENV, "").replace(",", " ").split()
    return DEFAULT_PIPELINE_TARGETS | frozenset(extra)


class PipelineTrigger(EventModel):
    """``pipeline.trigger``: materialise named assets or run a named job, allow-listed only.

    ``tags`` become run tags only under ``n8n/`` (``TRIGGER_TAG_KEY_PATTERN``), so a sender
    can label its runs but never set Dagster's priority, retries or our run-queue limits.
    """

    assets: list[Identifier] = Field(default_factory=list, max_length=50)
    job: Identifier | None = None
    partition_key: Identifier | None = None
    tags: dict[TriggerTagKey, TriggerTagValue] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _allowed(self) -> "PipelineTrigger":
        if not self.assets and not self.job:
            raise ValueError("name at least one asset in 'assets' or a 'job'")
        allowed = allowed_pipeline_targets()
        refused = [name for name in [*self.assets, self.job] if name and name not in allowed]
        if refused:
            raise ValueError(
                f"not allow-listed: {', '.join(refused)}; add them to "
                f"{PIPELINE_TRIGGER_ALLOWLIST_ENV} on the ingress and the code location"
            )
        return self


EVENT_TYPES: dict[str, type[EventModel]] = {
    "scraper.metrics": ScraperMetrics,
    "artist.watch": ArtistWatch,
    "ticketing.sales": TicketingSales,
    "report.request": ReportRequest,
    "approval.decision": ApprovalDecision,
    "pipeline.trigger": PipelineTrigger,
    "booking.response": BookingResponse,
}


class UnknownEventType(KeyError):
    """An event type this project does not define."""


def model_for(event_type: str) -> type[EventModel]:
    """The payload model of ``event_type``; raises ``UnknownEventType`` for anything else."""
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def parse_event(event_type: str, payload: Any) -> EventModel:
    """Validate a stored payload (a dict from ``webhook_events.payload``) with its model."""
    return model_for(event_type).model_validate(payload)
