"""YouTube Data API v3 client: channel statistics 50 ids per request, most-popular music chart.

Canonical metrics: ``followers`` = ``subscriberCount`` (skipped when hidden), ``views`` =
``viewCount``, ``posts`` = ``videoCount``. The API sends counts as strings.
"""

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
    default_classifier,
    response_time,
)

BATCH = 50
CREDENTIAL_ENV = "PROMOTEROS_YOUTUBE_API_KEY"
_STATISTICS = {"subscriberCount": "followers", "viewCount": "views", "videoCount": "posts"}


def classify(response: httpx.Response) -> PlatformError | None:
    """403 means quota or rate limit as often as a bad key; the error reason tells them apart."""
    error = default_classifier("youtube", CREDENTIAL_ENV)(response)
    if error is None or response.status_code not in (400, 403):
        return error
    try:
        reason = response.json()["error"]["errors"][0]["reason"]
    except (ValueError, KeyError, IndexError, TypeError):
        return error
    if reason in ("rateLimitExceeded", "userRateLimitExceeded"):
        return TransientPlatformError("youtube", reason, status=response.status_code)
    if reason == "quotaExceeded":
        return PermanentPlatformError(
            "youtube", "daily quota exhausted", status=403, hint="Retry after the quota resets"
        )
    if reason in ("keyInvalid", "forbidden", "accessNotConfigured"):
        return PlatformAuthError(
            "youtube", reason, status=response.status_code, hint=f"Check {CREDENTIAL_ENV}"
        )
    return error


class YouTubeClient:
    platform = "youtube"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_key = api_key
        self.session = PlatformSession(
            self.platform,
            base_url,
            policy or HttpPolicy(),
            credential_env=CREDENTIAL_ENV,
            classifier=classify,
            transport=transport,
        )

    def close(self) -> None:
        self.session.close()

    def fetch_metrics(self, channel_ids: Sequence[str]) -> PullResult:
        """Subscribers, views and videos for channel ids, 50 per request."""
        return run_units(self.platform, chunks(channel_ids, BATCH), self._fetch_batch)

    def _fetch_batch(self, ids: Sequence[str]) -> UnitResult:
        response = self.session.request(
            "GET",
            "/v3/channels",
            params={
                "part": "statistics",
                "id": ",".join(ids),
                "key": self.api_key,
                "maxResults": BATCH,
            },
        )
        at = response_time(response)
        found = {
            item["id"]: item.get("statistics", {}) for item in response.json().get("items", [])
        }
        records, failures = [], []
        for channel_id in ids:
            stats = found.get(channel_id)
            if stats is None:
                failures.append(
                    PullFailure(
                        channel_id, PermanentPlatformError(self.platform, "unknown channel")
                    )
                )
                continue
            for field, metric in _STATISTICS.items():
                hidden = field == "subscriberCount" and stats.get("hiddenSubscriberCount")
                if field in stats and not hidden:
                    records.append((channel_id, metric, float(stats[field]), at))
        return records, failures

    def fetch_trending(self, max_items: int = 100, region_code: str | None = None) -> pl.DataFrame:
        """Channels behind the most-popular music videos (category 10), ranked by chart position."""
        rows = []
        params = {
            "part": "snippet",
            "chart": "mostPopular",
            "videoCategoryId": "10",
            "maxResults": 50,
            "key": self.api_key,
        }
        if region_code:
            params["regionCode"] = region_code
        while len(rows) < max_items:
            body = self.session.request("GET", "/v3/videos", params=params).json()
            for item in body.get("items", []):
                snippet = item["snippet"]
                rows.append(
                    (
                        snippet["channelTitle"],
                        self.platform,
                        snippet["channelId"],
                        "youtube:most_popular",
                        len(rows) + 1,
                    )
                )
            if not body.get("nextPageToken"):
                break
            params = params | {"pageToken": body["nextPageToken"]}
        return candidates_frame(rows[:max_items])
