"""TikTok Research API and Instagram Graph API (business discovery) clients.

Both look one account up per request, so pulls run on a bounded thread pool.

Canonical metrics: TikTok ``followers`` = ``follower_count``, ``likes`` = ``likes_count``,
``posts`` = ``video_count``; Instagram ``followers`` = ``followers_count``, ``posts`` =
``media_count``.
"""

import datetime as dt
from collections.abc import Sequence

import httpx
import polars as pl

from promoteros_pipelines.resources.platforms.errors import (
    PermanentPlatformError,
    PlatformAuthError,
    PlatformError,
    TransientPlatformError,
)
from promoteros_pipelines.resources.platforms.pulls import (
    PullResult,
    UnitResult,
    candidates_frame,
    run_units,
)
from promoteros_pipelines.resources.platforms.session import (
    HttpPolicy,
    PlatformSession,
    default_classifier,
    fetch_client_credentials_token,
    response_time,
)

TIKTOK_ENV = "PROMOTEROS_TIKTOK_CLIENT_KEY / PROMOTEROS_TIKTOK_CLIENT_SECRET"
INSTAGRAM_ENV = "PROMOTEROS_INSTAGRAM_ACCESS_TOKEN"
_TIKTOK_FIELDS = {"follower_count": "followers", "likes_count": "likes", "video_count": "posts"}
_INSTAGRAM_FIELDS = {"followers_count": "followers", "media_count": "posts"}


class TikTokClient:
    platform = "tiktok"

    def __init__(
        self,
        base_url: str,
        client_key: str,
        client_secret: str,
        *,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        max_concurrency: int = 4,
    ) -> None:
        self.max_concurrency = max_concurrency

        def fetch_token(client: httpx.Client) -> tuple[str, float]:
            response = client.post(
                "/v2/oauth/token/",
                data={
                    "client_key": client_key,
                    "client_secret": client_secret,
                    "grant_type": "client_credentials",
                },
            )
            return fetch_client_credentials_token(self.platform, response, TIKTOK_ENV)

        self.session = PlatformSession(
            self.platform,
            base_url,
            policy or HttpPolicy(),
            credential_env=TIKTOK_ENV,
            token_fetcher=fetch_token,
            transport=transport,
        )

    def close(self) -> None:
        self.session.close()

    def fetch_metrics(self, usernames: Sequence[str]) -> PullResult:
        """Followers, likes and videos per username, one request each, bounded concurrency."""
        units = [[u] for u in dict.fromkeys(usernames)]
        return run_units(self.platform, units, self._fetch_one, concurrency=self.max_concurrency)

    def _fetch_one(self, unit: Sequence[str]) -> UnitResult:
        (username,) = unit
        response = self.session.request(
            "POST",
            "/v2/research/user/info/",
            params={"fields": ",".join(["display_name", *_TIKTOK_FIELDS])},
            json={"username": username},
        )
        at = response_time(response)
        data = response.json().get("data") or {}
        records = [
            (username, m, float(data[f]), at) for f, m in _TIKTOK_FIELDS.items() if f in data
        ]
        return records, []

    def fetch_trending(self, max_items: int = 100, days: int = 7) -> pl.DataFrame:
        """Creators of recent popular music videos (Research API video query), by position."""
        today = dt.datetime.now(dt.UTC).date()
        body: dict = {
            "query": {
                "and": [
                    {
                        "operation": "IN",
                        "field_name": "hashtag_name",
                        "field_values": ["music", "newmusic"],
                    }
                ]
            },
            "start_date": (today - dt.timedelta(days=days)).strftime("%Y%m%d"),
            "end_date": today.strftime("%Y%m%d"),
            "max_count": 100,
            "cursor": 0,
        }
        rows: list[tuple[str, str, str, str, int]] = []
        seen: set[str] = set()
        while len(rows) < max_items:
            data = self.session.request(
                "POST",
                "/v2/research/video/query/",
                params={"fields": "id,username,view_count,like_count"},
                json=body,
            ).json()["data"]
            for video in data.get("videos", []):
                if video["username"] not in seen:
                    seen.add(video["username"])
                    rows.append(
                        (
                            video["username"],
                            self.platform,
                            video["username"],
                            "tiktok:video_query",
                            len(rows) + 1,
                        )
                    )
            if not data.get("has_more"):
                break
            body |= {"cursor": data["cursor"], "search_id": data.get("search_id")}
        return candidates_frame(rows[:max_items])


def classify_instagram(response: httpx.Response) -> PlatformError | None:
    """The Graph API signals most errors as 400 with a numeric code in the body."""
    error = default_classifier("instagram", INSTAGRAM_ENV)(response)
    if error is None or response.status_code not in (400, 403):
        return error
    try:
        code = int(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return error
    message = response.text[:200]
    if code in (102, 190, 2500):
        return PlatformAuthError(
            "instagram",
            message,
            status=response.status_code,
            hint=f"Renew the token in {INSTAGRAM_ENV}",
        )
    if code in (1, 2, 4, 17, 32, 613):
        return TransientPlatformError("instagram", message, status=response.status_code)
    return PermanentPlatformError("instagram", message, status=response.status_code)


class InstagramClient:
    platform = "instagram"

    def __init__(
        self,
        base_url: str,
        access_token: str,
        ig_user_id: str,
        *,
        api_version: str = "v21.0",
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        max_concurrency: int = 4,
    ) -> None:
        self.access_token = access_token
        self.path = f"/{api_version}/{ig_user_id}"
        self.max_concurrency = max_concurrency
        self.session = PlatformSession(
            self.platform,
            base_url,
            policy or HttpPolicy(),
            credential_env=INSTAGRAM_ENV,
            classifier=classify_instagram,
            transport=transport,
        )

    def close(self) -> None:
        self.session.close()

    def fetch_metrics(self, usernames: Sequence[str]) -> PullResult:
        """Followers and media count per business/creator username, bounded concurrency."""
        units = [[u] for u in dict.fromkeys(usernames)]
        return run_units(self.platform, units, self._fetch_one, concurrency=self.max_concurrency)

    def _fetch_one(self, unit: Sequence[str]) -> UnitResult:
        (username,) = unit
        fields = f"business_discovery.username({username}){{{','.join(_INSTAGRAM_FIELDS)}}}"
        response = self.session.request(
            "GET", self.path, params={"fields": fields, "access_token": self.access_token}
        )
        at = response_time(response)
        found = response.json().get("business_discovery") or {}
        records = [
            (username, m, float(found[f]), at) for f, m in _INSTAGRAM_FIELDS.items() if f in found
        ]
        return records, []
