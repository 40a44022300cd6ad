"""Bandsintown API v3 client: an artist's events (tour dates) by artist name."""

import datetime as dt
from collections.abc import Sequence
from urllib.parse import quote

import httpx
import polars as pl

from promoteros_pipelines.resources.platforms.pulls import run_units
from promoteros_pipelines.resources.platforms.session import HttpPolicy, PlatformSession

CREDENTIAL_ENV = "PROMOTEROS_BANDSINTOWN_APP_ID"
EVENT_SCHEMA = {
    "artist_name": pl.String,
    "event_id": pl.String,
    "starts_at": pl.Datetime("us"),
    "on_sale_at": pl.Datetime("us"),
    "venue_name": pl.String,
    "city": pl.String,
    "country": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "lineup": pl.List(pl.String),
}


def _local(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


class BandsintownClient:
    platform = "bandsintown"

    def __init__(
        self,
        base_url: str,
        app_id: str,
        *,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        max_concurrency: int = 4,
    ) -> None:
        self.app_id = app_id
        self.max_concurrency = max_concurrency
        self.session = PlatformSession(
            self.platform,
            base_url,
            policy or HttpPolicy(),
            credential_env=CREDENTIAL_ENV,
            transport=transport,
        )

    def close(self) -> None:
        self.session.close()

    def fetch_events(self, artist_names: Sequence[str], date: str = "upcoming"):
        """Events per artist name. Returns ``(events frame, PullResult with failures)``.

        ``starts_at``/``on_sale_at`` are the venue's local time, as Bandsintown sends them.
        """
        rows: list[dict] = []

        def one(unit: Sequence[str]):
            (name,) = unit
            events = self.session.request(
                "GET",
                f"/artists/{quote(name, safe='')}/events",
                params={"app_id": self.app_id, "date": date},
            ).json()
            rows.extend(
                {
                    "artist_name": name,
                    "event_id": str(e["id"]),
                    "starts_at": _local(e.get("datetime")),
                    "on_sale_at": _local(e.get("on_sale_datetime")),
                    "venue_name": e["venue"].get("name"),
                    "city": e["venue"].get("city"),
                    "country": e["venue"].get("country"),
                    "latitude": float(e["venue"]["latitude"])
                    if e["venue"].get("latitude")
                    else None,
                    "longitude": float(e["venue"]["longitude"])
                    if e["venue"].get("longitude")
                    else None,
                    "lineup": e.get("lineup", []),
                }
                for e in events
            )
            return [], []

        result = run_units(
            self.platform,
            [[n] for n in dict.fromkeys(artist_names)],
            one,
            concurrency=self.max_concurrency,
        )
        return pl.DataFrame(rows, schema=EVENT_SCHEMA), result
