"""Dagster resources for the platform APIs: configuration in, one long-lived client out.

Each resource builds its client lazily and keeps it for the life of the process, so the
connection pool, token cache, rate limiter and circuit breaker are shared by every call in a
run. ``from_env()`` reads the environment variables listed in the package docstring, binding
secrets with ``EnvVar`` (so the UI shows the variable's name, not the secret). Only when
``PROMOTEROS_SIMULATOR_URL`` is set (``promoteros demo`` and ``promoteros dev`` set it, and say
so) do unset base URLs and credentials mean the simulator; anywhere else a missing setting
fails the run with an error naming the variable, instead of quietly polling a local simulator.
"""

import os
from collections.abc import Sequence
from typing import ClassVar

import httpx
import polars as pl
from dagster import ConfigurableResource, EnvVar
from pydantic import Field, PrivateAttr

from promoteros_pipelines.resources.platforms.bandsintown import BandsintownClient
from promoteros_pipelines.resources.platforms.chartmetric import ChartmetricClient
from promoteros_pipelines.resources.platforms.pulls import PullResult
from promoteros_pipelines.resources.platforms.session import HttpPolicy
from promoteros_pipelines.resources.platforms.social import InstagramClient, TikTokClient
from promoteros_pipelines.resources.platforms.spotify import DEFAULT_PLAYLISTS, SpotifyClient
from promoteros_pipelines.resources.platforms.youtube import YouTubeClient
from promoteros_pipelines.settings import ConfigurationError

SIMULATOR_URL_ENV = "PROMOTEROS_SIMULATOR_URL"
SIMULATOR_SECRET = "simulator"


def _resolve(value: str) -> str:
    return (value.get_value() or "") if isinstance(value, EnvVar) else value


def _simulated() -> bool:
    return bool(os.environ.get(SIMULATOR_URL_ENV))


def _env_url(platform: str) -> str:
    name = f"PROMOTEROS_{platform.upper()}_BASE_URL"
    explicit = os.environ.get(name)
    if explicit:
        return explicit
    if not _simulated():
        raise ConfigurationError(
            f"{platform.title()} has no API address: set {name} (the real API's, see "
            "promoteros_pipelines/resources/platforms/__init__.py) and its credentials, or "
            f"{SIMULATOR_URL_ENV} to call the simulator instead (promoteros dev does)."
        )
    return f"{os.environ[SIMULATOR_URL_ENV].rstrip('/')}/{platform}"


def _env_secret(name: str) -> str:
    """The secret as an EnvVar; the simulator's dummy when simulating; else empty (refused
    when a client is built, naming ``name``)."""
    if os.environ.get(name):
        return EnvVar(name)
    return SIMULATOR_SECRET if _simulated() else ""


class PlatformResource(ConfigurableResource):
    """Settings every platform client shares: where it is and how hard to try."""

    base_url: str = Field(
        default="",
        description="API base URL. Empty: PROMOTEROS_<PLATFORM>_BASE_URL, else the simulator at "
        "PROMOTEROS_SIMULATOR_URL when that is set, read when a run starts.",
    )
    timeout_seconds: float = Field(default=10.0, description="Per-request timeout.")
    max_attempts: int = Field(default=5, description="Attempts per call (retries + 1).")
    retry_wait_initial_seconds: float = Field(default=0.2, description="First backoff wait.")
    retry_wait_max_seconds: float = Field(default=10.0, description="Longest backoff wait.")
    retry_jitter_seconds: float = Field(default=0.5, description="Random jitter per backoff.")
    max_retry_after_seconds: float = Field(default=60.0, description="Cap on a server Retry-After.")
    requests_per_second: float = Field(default=10.0, description="Token-bucket refill rate.")
    burst: int = Field(default=10, description="Requests allowed at once from a full bucket.")
    breaker_fail_max: int = Field(default=5, description="Failed attempts that open the circuit.")
    breaker_reset_seconds: float = Field(default=60.0, description="Open-circuit cool-down.")
    max_concurrency: int = Field(default=4, description="Parallel requests for per-item APIs.")

    platform: ClassVar[str] = ""
    credentials: ClassVar[dict[str, str]] = {}
    """Field -> the environment variable that sets it (named in the error when missing)."""
    _client: object = PrivateAttr(default=None)

    def policy(self) -> HttpPolicy:
        return HttpPolicy(
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            wait_initial_seconds=self.retry_wait_initial_seconds,
            wait_max_seconds=self.retry_wait_max_seconds,
            wait_jitter_seconds=self.retry_jitter_seconds,
            max_retry_after_seconds=self.max_retry_after_seconds,
            requests_per_second=self.requests_per_second,
            burst=self.burst,
            breaker_fail_max=self.breaker_fail_max,
            breaker_reset_seconds=self.breaker_reset_seconds,
            max_connections=max(4, self.max_concurrency * 2),
        )

    def url(self) -> str:
        """The base URL to call, resolved from the environment at run time when not set."""
        return self.base_url or _env_url(self.platform)

    def build_client(self, transport: httpx.BaseTransport | None):
        raise NotImplementedError

    def check_settings(self) -> None:
        """Raise ConfigurationError naming every credential variable that is not set."""
        missing = [env for field, env in self.credentials.items() if not getattr(self, field)]
        if missing:
            raise ConfigurationError(
                f"{self.platform.title()} credentials are not set: {', '.join(missing)}. Set "
                f"them, or {SIMULATOR_URL_ENV} to call the simulator instead (promoteros dev "
                "does)."
            )

    def get_client(self, transport: httpx.BaseTransport | None = None):
        """The resource's client, built once; ``transport`` is for tests and only used then."""
        if self._client is None:
            self.check_settings()
            self._client = self.build_client(transport)
        return self._client

    def teardown_after_execution(self, context) -> None:
        if self._client is not None:
            self._client.close()  # type: ignore[attr-defined]
            self._client = None


class SpotifyResource(PlatformResource):
    """Spotify Web API: artist followers, popularity and genres, trending playlists."""

    platform: ClassVar[str] = "spotify"
    credentials: ClassVar[dict[str, str]] = {
        "client_id": "PROMOTEROS_SPOTIFY_CLIENT_ID",
        "client_secret": "PROMOTEROS_SPOTIFY_CLIENT_SECRET",
    }

    client_id: str
    client_secret: str
    token_url: str = Field(default="", description="Token endpoint; default base_url/api/token.")
    playlists: dict[str, str] = Field(
        default=DEFAULT_PLAYLISTS, description="Discovery playlists, name -> playlist id."
    )

    @classmethod
    def from_env(cls, **overrides) -> "SpotifyResource":
        return cls(
            token_url=os.environ.get("PROMOTEROS_SPOTIFY_TOKEN_URL", ""),
            client_id=_env_secret("PROMOTEROS_SPOTIFY_CLIENT_ID"),
            client_secret=_env_secret("PROMOTEROS_SPOTIFY_CLIENT_SECRET"),
            **overrides,
        )

    def build_client(self, transport: httpx.BaseTransport | None) -> SpotifyClient:
        return SpotifyClient(
            self.url(),
            _resolve(self.client_id),
            _resolve(self.client_secret),
            token_url=self.token_url or None,
            policy=self.policy(),
            transport=transport,
        )

    def fetch_metrics(self, artist_ids: Sequence[str]) -> PullResult:
        return self.get_client().fetch_metrics(artist_ids)

    def fetch_trending(self) -> pl.DataFrame:
        return self.get_client().fetch_trending(self.playlists)

    def fetch_genres(self, artist_ids: Sequence[str]) -> dict[str, list[str]]:
        return self.get_client().fetch_genres(artist_ids)


class YouTubeResource(PlatformResource):
    """YouTube Data API v3: channel subscribers, views and videos; most-popular music."""

    platform: ClassVar[str] = "youtube"
    credentials: ClassVar[dict[str, str]] = {"api_key": "PROMOTEROS_YOUTUBE_API_KEY"}

    api_key: str

    @classmethod
    def from_env(cls, **overrides) -> "YouTubeResource":
        return cls(
            api_key=_env_secret("PROMOTEROS_YOUTUBE_API_KEY"),
            **overrides,
        )

    def build_client(self, transport: httpx.BaseTransport | None) -> YouTubeClient:
        return YouTubeClient(
            self.url(), _resolve(self.api_key), policy=self.policy(), transport=transport
        )

    def fetch_metrics(self, channel_ids: Sequence[str]) -> PullResult:
        return self.get_client().fetch_metrics(channel_ids)

    def fetch_trending(self, max_items: int = 100) -> pl.DataFrame:
        return self.get_client().fetch_trending(max_items)


class TikTokResource(PlatformResource):
    """TikTok Research API: followers, likes and videos per username; trending creators."""

    platform: ClassVar[str] = "tiktok"
    credentials: ClassVar[dict[str, str]] = {
        "client_key": "PROMOTEROS_TIKTOK_CLIENT_KEY",
        "client_secret": "PROMOTEROS_TIKTOK_CLIENT_SECRET",
    }

    client_key: str
    client_secret: str
    requests_per_second: float = 5.0

    @classmethod
    def from_env(cls, **overrides) -> "TikTokResource":
        return cls(
            client_key=_env_secret("PROMOTEROS_TIKTOK_CLIENT_KEY"),
            client_secret=_env_secret("PROMOTEROS_TIKTOK_CLIENT_SECRET"),
            **overrides,
        )

    def build_client(self, transport: httpx.BaseTransport | None) -> TikTokClient:
        return TikTokClient(
            self.url(),
            _resolve(self.client_key),
            _resolve(self.client_secret),
            policy=self.policy(),
            transport=transport,
            max_concurrency=self.max_concurrency,
        )

    def fetch_metrics(self, usernames: Sequence[str]) -> PullResult:
        return self.get_client().fetch_metrics(usernames)

    def fetch_trending(self, max_items: int = 100) -> pl.DataFrame:
        return self.get_client().fetch_trending(max_items)


class InstagramResource(PlatformResource):
    """Instagram Graph API business discovery: followers and media count per username."""

    platform: ClassVar[str] = "instagram"
    credentials: ClassVar[dict[str, str]] = {"access_token": "PROMOTEROS_INSTAGRAM_ACCESS_TOKEN"}

    access_token: str
    ig_user_id: str = Field(description="Our own Instagram business account id (the caller).")
    api_version: str = "v21.0"
    requests_per_second: float = 5.0

    @classmethod
    def from_env(cls, **overrides) -> "InstagramResource":
        return cls(
            access_token=_env_secret("PROMOTEROS_INSTAGRAM_ACCESS_TOKEN"),
            ig_user_id=os.environ.get("PROMOTEROS_INSTAGRAM_USER_ID", "17841400000000000"),
            **overrides,
        )

    def build_client(self, transport: httpx.BaseTransport | None) -> InstagramClient:
        return InstagramClient(
            self.url(),
            _resolve(self.access_token),
            self.ig_user_id,
            api_version=self.api_version,
            policy=self.policy(),
            transport=transport,
            max_concurrency=self.max_concurrency,
        )

    def fetch_metrics(self, usernames: Sequence[str]) -> PullResult:
        return self.get_client().fetch_metrics(usernames)


class BandsintownResource(PlatformResource):
    """Bandsintown API v3: artists' tour dates."""

    platform: ClassVar[str] = "bandsintown"
    credentials: ClassVar[dict[str, str]] = {"app_id": "PROMOTEROS_BANDSINTOWN_APP_ID"}

    app_id: str
    requests_per_second: float = 5.0

    @classmethod
    def from_env(cls, **overrides) -> "BandsintownResource":
        return cls(
            app_id=_env_secret("PROMOTEROS_BANDSINTOWN_APP_ID"),
            **overrides,
        )

    def build_client(self, transport: httpx.BaseTransport | None) -> BandsintownClient:
        return BandsintownClient(
            self.url(),
            _resolve(self.app_id),
            policy=self.policy(),
            transport=transport,
            max_concurrency=self.max_concurrency,
        )

    def fetch_events(self, artist_names: Sequence[str], date: str = "upcoming"):
        return self.get_client().fetch_events(artist_names, date)


class ChartmetricResource(PlatformResource):
    """Chartmetric API: where an artist's Spotify listeners live, city by city."""

    platform: ClassVar[str] = "chartmetric"
    credentials: ClassVar[dict[str, str]] = {
        "refresh_token": "PROMOTEROS_CHARTMETRIC_REFRESH_TOKEN"
    }

    refresh_token: str
    requests_per_second: float = 2.0

    @classmethod
    def from_env(cls, **overrides) -> "ChartmetricResource":
        return cls(refresh_token=_env_secret("PROMOTEROS_CHARTMETRIC_REFRESH_TOKEN"), **overrides)

    def build_client(self, transport: httpx.BaseTransport | None) -> ChartmetricClient:
        return ChartmetricClient(
            self.url(),
            _resolve(self.refresh_token),
            policy=self.policy(),
            transport=transport,
            max_concurrency=self.max_concurrency,
        )

    def fetch_city_listeners(self, spotify_ids: Sequence[str]):
        return self.get_client().fetch_city_listeners(spotify_ids)
