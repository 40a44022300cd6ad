"""Platform API clients as Dagster resources: Spotify, YouTube, TikTok, Instagram, Bandsintown,
Chartmetric (audience by city).

Environment variables (``Resource.from_env()`` reads them). Unset base URLs and credentials
mean the simulator only when ``PROMOTEROS_SIMULATOR_URL`` is set (``promoteros demo`` and
``promoteros dev`` set it); otherwise a run that needs a platform fails naming what is missing.

=====================================  ===============================================
``PROMOTEROS_SIMULATOR_URL``           simulator root (``promoteros dev``: ``http://127.0.0.1:8790``)
``PROMOTEROS_SPOTIFY_BASE_URL``        default ``$PROMOTEROS_SIMULATOR_URL/spotify``;
                                       real: ``https://api.spotify.com``
``PROMOTEROS_SPOTIFY_TOKEN_URL``       default ``<base>/api/token``;
                                       real: ``https://accounts.spotify.com/api/token``
``PROMOTEROS_SPOTIFY_CLIENT_ID``       client-credentials id
``PROMOTEROS_SPOTIFY_CLIENT_SECRET``   client-credentials secret
``PROMOTEROS_YOUTUBE_BASE_URL``        real: ``https://www.googleapis.com/youtube``
``PROMOTEROS_YOUTUBE_API_KEY``         API key
``PROMOTEROS_TIKTOK_BASE_URL``         real: ``https://open.tiktokapis.com``
``PROMOTEROS_TIKTOK_CLIENT_KEY``       Research API client key
``PROMOTEROS_TIKTOK_CLIENT_SECRET``    Research API client secret
``PROMOTEROS_INSTAGRAM_BASE_URL``      real: ``https://graph.facebook.com``
``PROMOTEROS_INSTAGRAM_ACCESS_TOKEN``  long-lived access token (cannot be refreshed here)
``PROMOTEROS_INSTAGRAM_USER_ID``       our Instagram business account id
``PROMOTEROS_BANDSINTOWN_BASE_URL``    real: ``https://rest.bandsintown.com``
``PROMOTEROS_BANDSINTOWN_APP_ID``      app id
``PROMOTEROS_CHARTMETRIC_BASE_URL``    real: ``https://api.chartmetric.com``
``PROMOTEROS_CHARTMETRIC_REFRESH_TOKEN``
                                       refresh token (buys short-lived access tokens)
=====================================  ===============================================

Clients are synchronous ``httpx.Client`` sessions (see ``session.py`` for the retry, rate-limit,
breaker and token layers); batch methods return a ``PullResult`` whose ``observations`` frame
has columns external_id, platform, metric, value (f64), observed_at (UTC, the server's
``Date``) and whose ``failures`` list says which ids failed and why. Tests run the simulator on
loopback with uvicorn in a thread (``simulator.SimulatorServer``), because httpx's ASGI
transport is async-only; any ``httpx.BaseTransport`` can still be injected.
"""

from promoteros_pipelines.resources.platforms.bandsintown import BandsintownClient
from promoteros_pipelines.resources.platforms.errors import (
    PermanentPlatformError,
    PlatformAuthError,
    PlatformError,
    PlatformUnavailableError,
    TransientPlatformError,
)
from promoteros_pipelines.resources.platforms.pulls import (
    CANDIDATE_SCHEMA,
    OBSERVATION_SCHEMA,
    PullFailure,
    PullResult,
)
from promoteros_pipelines.resources.platforms.resources import (
    BandsintownResource,
    InstagramResource,
    PlatformResource,
    SpotifyResource,
    TikTokResource,
    YouTubeResource,
)
from promoteros_pipelines.resources.platforms.session import HttpPolicy, PlatformSession
from promoteros_pipelines.resources.platforms.social import InstagramClient, TikTokClient
from promoteros_pipelines.resources.platforms.spotify import SpotifyClient
from promoteros_pipelines.resources.platforms.trending import fetch_trending_candidates
from promoteros_pipelines.resources.platforms.youtube import YouTubeClient

__all__ = [
    "CANDIDATE_SCHEMA",
    "OBSERVATION_SCHEMA",
    "BandsintownClient",
    "BandsintownResource",
    "HttpPolicy",
    "InstagramClient",
    "InstagramResource",
    "PermanentPlatformError",
    "PlatformAuthError",
    "PlatformError",
    "PlatformResource",
    "PlatformSession",
    "PlatformUnavailableError",
    "PullFailure",
    "PullResult",
    "SpotifyClient",
    "SpotifyResource",
    "TikTokClient",
    "TikTokResource",
    "TransientPlatformError",
    "YouTubeClient",
    "YouTubeResource",
    "fetch_trending_candidates",
]
