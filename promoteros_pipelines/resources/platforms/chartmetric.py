"""Chartmetric API client: where an artist's Spotify listeners live ("where people listen").

Public Spotify has no city data; Chartmetric serves Spotify for Artists' top cities. A
refresh token (``PROMOTEROS_CHARTMETRIC_REFRESH_TOKEN``) buys a short-lived access token at
``POST /api/token``; an artist's Chartmetric id comes from its Spotify id
(``/api/artist/spotify/{id}/get-ids``), then ``/api/artist/{cm}/where-people-listen?latest=true``
lists its cities with listeners, country code and coordinates.
"""

from collections.abc import Sequence

import httpx
import polars as pl

from promoteros_pipelines.resources.platforms.pulls import run_units
from promoteros_pipelines.resources.platforms.session import (
    HttpPolicy,
    PlatformSession,
    fetch_client_credentials_token,
)

CREDENTIAL_ENV = "PROMOTEROS_CHARTMETRIC_REFRESH_TOKEN"
CITY_SCHEMA = {
    "spotify_id": pl.String,
    "city": pl.String,
    "country": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "listeners": pl.Int64,
    "observed_at": pl.String,
}


class ChartmetricClient:
    platform = "chartmetric"

    def __init__(
        self,
        base_url: str,
        refresh_token: str,
        *,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        max_concurrency: int = 4,
    ) -> None:
        self.max_concurrency = max_concurrency
        token_url = base_url.rstrip("/") + "/api/token"

        def fetch_token(client: httpx.Client) -> tuple[str, float]:
            response = client.post(token_url, json={"refreshtoken": refresh_token})
            if response.status_code == 200:
                body = response.json()
                return body["token"], float(body.get("expires_in", 3600))
            return fetch_client_credentials_token(self.platform, response, CREDENTIAL_ENV)

        self.session = PlatformSession(
            self.platform,
            base_url,
            policy or HttpPolicy(),
            credential_env=CREDENTIAL_ENV,
            token_fetcher=fetch_token,
            transport=transport,
        )

    def close(self) -> None:
        self.session.close()

    def fetch_city_listeners(self, spotify_ids: Sequence[str]):
        """Latest listeners per city for each Spotify artist id.

        Returns ``(frame with CITY_SCHEMA, PullResult with failures)``; ``observed_at`` is the
        day Chartmetric's numbers are for (ISO text, UTC).
        """
        rows: list[dict] = []

        def one(unit: Sequence[str]):
            (spotify_id,) = unit
            ids = self.session.request("GET", f"/api/artist/spotify/{spotify_id}/get-ids").json()
            cm_artist = ids["obj"][0]["cm_artist"]
            body = self.session.request(
                "GET",
                f"/api/artist/{cm_artist}/where-people-listen",
                params={"latest": "true", "limit": 50},
            ).json()
            for city, entries in body["obj"].get("cities", {}).items():
                latest = max(entries, key=lambda e: e["timestp"])
                rows.append(
                    {
                        "spotify_id": spotify_id,
                        "city": city,
                        "country": latest.get("code2") or "",
                        "latitude": latest.get("lat"),
                        "longitude": latest.get("lng"),
                        "listeners": int(latest["listeners"]),
                        "observed_at": latest["timestp"],
                    }
                )
            return [], []

        result = run_units(
            self.platform,
            [[i] for i in dict.fromkeys(spotify_ids)],
            one,
            concurrency=self.max_concurrency,
        )
        return pl.DataFrame(rows, schema=CITY_SCHEMA), result
