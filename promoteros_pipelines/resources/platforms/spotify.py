"""Spotify Web API client: artist metrics and genres in batches of 50, trending playlists.

Canonical metrics: ``followers`` = ``followers.total``; ``popularity`` = ``popularity`` (0-100).
"""

import re
from collections.abc import Sequence

import httpx
import polars as pl

from promoteros_pipelines.resources.platforms.errors import PermanentPlatformError
from promoteros_pipelines.resources.platforms.pulls import (
    PullFailure,
    PullResult,
    UnitResult,
    candidates_frame,
    chunks,
    run_units,
)
from promoteros_pipelines.resources.platforms.session import (
    HttpPolicy,
    PlatformSession,
    fetch_client_credentials_token,
    response_time,
)

# The simulator's playlists; point these at real editorial playlists in production.
DEFAULT_PLAYLISTS = {"viral": "37i9dQZEVXbSimViral50", "trending": "37i9dQZEVXbSimTrend100"}
SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
BATCH = 50
CREDENTIAL_ENV = "PROMOTEROS_SPOTIFY_CLIENT_ID / PROMOTEROS_SPOTIFY_CLIENT_SECRET"


class SpotifyClient:
    platform = "spotify"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        token_url: str | None = None,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        token_url = token_url or base_url.rstrip("/") + "/api/token"

        def fetch_token(client: httpx.Client) -> tuple[str, float]:
            response = client.post(
                token_url,
                data={"grant_type": "client_credentials"},
                auth=(client_id, client_secret),
            )
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

    def fetch_metrics(self, artist_ids: Sequence[str]) -> PullResult:
        """Followers and popularity for Spotify artist ids, 50 per request."""
        malformed = [i for i in artist_ids if not SPOTIFY_ID.match(i)]
        valid = [i for i in artist_ids if SPOTIFY_ID.match(i)]
        result = run_units(self.platform, chunks(valid, BATCH), self._fetch_batch)
        result.failures.extend(
            PullFailure(i, PermanentPlatformError(self.platform, f"not a Spotify id: {i!r}"))
            for i in malformed
        )
        return result

    def _fetch_batch(self, ids: Sequence[str]) -> UnitResult:
        response = self.session.request("GET", "/v1/artists", params={"ids": ",".join(ids)})
        at = response_time(response)
        records, failures = [], []
        for artist_id, artist in zip(ids, response.json()["artists"], strict=False):
            if artist is None:
                failures.append(
                    PullFailure(artist_id, PermanentPlatformError(self.platform, "unknown artist"))
                )
                continue
            records.append((artist_id, "followers", artist["followers"]["total"], at))
            records.append((artist_id, "popularity", artist["popularity"], at))
        return records, failures

    def fetch_genres(self, artist_ids: Sequence[str]) -> dict[str, list[str]]:
        """Spotify's genres of each artist id, as Spotify spells them, 50 ids per request;
        malformed and unknown ids are left out."""
        genres: dict[str, list[str]] = {}
        for batch in chunks([i for i in artist_ids if SPOTIFY_ID.match(i)], BATCH):
            response = self.session.request("GET", "/v1/artists", params={"ids": ",".join(batch)})
            for artist_id, artist in zip(batch, response.json()["artists"], strict=False):
                if artist is not None:
                    genres[artist_id] = [str(g) for g in artist.get("genres") or []]
        return genres

    def playlist_artists(self, playlist_id: str, source: str, page_size: int = 100) -> pl.DataFrame:
        """Every artist on a playlist (following ``next`` pages), ranked by track position."""
        rows = []
        url: str | None = f"/v1/playlists/{playlist_id}/tracks"
        params: dict | None = {"limit": page_size, "offset": 0}
        position = 0
        while url:
            body = self.session.request("GET", url, params=params).json()
            for item in body["items"]:
                position += 1
                artists = (item.get("track") or {}).get("artists", [])
                rows.extend(
                    (a["name"], self.platform, a["id"], source, position)
                    for a in artists
                    if a.get("id")
                )
            url, params = body.get("next"), None
        return candidates_frame(rows)

    def fetch_trending(self, playlists: dict[str, str] | None = None) -> pl.DataFrame:
        """Candidates from each named playlist; source is ``spotify:<name>``."""
        frames = [
            self.playlist_artists(playlist_id, f"spotify:{name}")
            for name, playlist_id in (playlists or DEFAULT_PLAYLISTS).items()
        ]
        return pl.concat(frames) if frames else candidates_frame([])
