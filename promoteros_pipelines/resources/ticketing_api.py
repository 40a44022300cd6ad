"""A ticketing system's REST API in Eventbrite v3's shape (organisation events with
``ticket_classes``, paginated), off until ``PROMOTEROS_TICKETING_API_URL`` is set.

The simulator serves the same shape under ``/ticketing`` (``simulator/api_ticketing.py``).
"""

import datetime as dt
import os
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from dagster import ConfigurableResource
from pydantic import Field

URL_ENV = "PROMOTEROS_TICKETING_API_URL"
TOKEN_ENV = "PROMOTEROS_TICKETING_API_TOKEN"
ORGANISATIONS_ENV = "PROMOTEROS_TICKETING_ORGANISATIONS"
MAX_PAGES = 500


class TicketingApiError(RuntimeError):
    """The ticketing API answered with an error; the message says which page and why."""


class TicketingApi(ConfigurableResource):
    """Where the ticketing API is and which of its organisations to read."""

    base_url: str = Field(default="", description=f"API base URL ({URL_ENV}); empty: off.")
    token: str = Field(default="", description=f"Bearer token ({TOKEN_ENV}).")
    organisations: str = Field(
        default="", description=f"Organisation ids to read, comma separated ({ORGANISATIONS_ENV})."
    )
    page_size: int = Field(default=100, description="Events per page.")

    @classmethod
    def from_env(cls) -> "TicketingApi":
        return cls(
            base_url=os.environ.get(URL_ENV, ""),
            token=os.environ.get(TOKEN_ENV, ""),
            organisations=os.environ.get(ORGANISATIONS_ENV, ""),
        )

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.organisations)

    def organisation_ids(self) -> list[str]:
        return [part for part in self.organisations.replace(",", " ").split() if part]

    def events(self, organisation_id: str) -> tuple[list[dict[str, Any]], dt.datetime]:
        """Every live event of the organisation (all pages; shows already played are not
        read again) and the server's time of the last page (its ``Date`` header; the counts
        are as of then)."""
        events: list[dict[str, Any]] = []
        served_at = dt.datetime.now(dt.UTC)
        url = f"{self.base_url.rstrip('/')}/v3/organizations/{organisation_id}/events/"
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(timeout=30) as client:
            for page in range(1, MAX_PAGES + 1):
                response = client.get(
                    url,
                    params={"page": page, "page_size": self.page_size, "status": "live"},
                    headers=headers,
                )
                if response.status_code != 200:
                    raise TicketingApiError(
                        f"organisation {organisation_id} page {page}: HTTP "
                        f"{response.status_code} {response.text[:200]}"
                    )
                body = response.json()
                events.extend(body.get("events", []))
                if "date" in response.headers:
                    served_at = parsedate_to_datetime(response.headers["date"])
                if not body.get("pagination", {}).get("has_more_items"):
                    break
        return events, served_at
