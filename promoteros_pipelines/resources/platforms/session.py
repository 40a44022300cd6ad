"""One resilient HTTP session per platform: pooling, timeouts, rate limit, retries, breaker, OAuth.

The order of the layers matters and is deliberate:

``stamina`` retry loop -> ``pybreaker`` breaker -> token-bucket wait -> one HTTP attempt
(with one token refresh on 401).

Each failed attempt (5xx, timeout, connection error; not 429, which means "slow down") counts
towards the breaker, so a platform that is down opens its circuit after ``breaker_fail_max``
failed attempts and every later call fails at once with
``PlatformUnavailableError`` (never retried). Retries honour ``Retry-After`` through stamina's
backoff hook, which returns the server's delay instead of the exponential one. Clients are
synchronous (``httpx.Client``); concurrency comes from a thread pool in the batch methods.
"""

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx
import stamina
from pyrate_limiter import Duration, limiter_factory

from promoteros_pipelines.resources.platforms.errors import (
    PermanentPlatformError,
    PlatformAuthError,
    PlatformError,
    PlatformUnavailableError,
    TransientPlatformError,
)

TokenFetcher = Callable[[httpx.Client], tuple[str, float]]
Classifier = Callable[[httpx.Response], PlatformError | None]


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts, retry, rate-limit and breaker settings for one platform."""

    timeout_seconds: float = 10.0
    max_attempts: int = 5
    retry_timeout_seconds: float = 120.0
    wait_initial_seconds: float = 0.2
    wait_max_seconds: float = 10.0
    wait_jitter_seconds: float = 0.5
    max_retry_after_seconds: float = 60.0
    requests_per_second: float = 10.0
    burst: int = 10
    breaker_fail_max: int = 5
    breaker_reset_seconds: float = 60.0
    max_connections: int = 16


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def response_time(response: httpx.Response) -> dt.datetime:
    """When the server computed the response: its ``Date`` header, else our clock (UTC)."""
    dates = response.headers.get_list("date")
    if dates:
        try:
            return parsedate_to_datetime(dates[-1]).astimezone(dt.UTC)
        except (TypeError, ValueError):
            pass
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def default_classifier(platform: str, credential_env: str) -> Classifier:
    """Status-code classification shared by the platforms; clients refine it from the body."""

    def classify(response: httpx.Response) -> PlatformError | None:
        status = response.status_code
        if status < 400:
            return None
        text = response.text[:300]
        if status == 429 or status == 408 or status >= 500:
            return TransientPlatformError(
                platform,
                f"temporary failure: {text}",
                status=status,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if status in (401, 403):
            return PlatformAuthError(
                platform,
                f"credentials rejected: {text}",
                status=status,
                hint=f"Check {credential_env}; every {platform} pull fails until it is fixed",
            )
        return PermanentPlatformError(platform, f"request rejected: {text}", status=status)

    return classify


def _is_rate_limit(exc: Exception) -> bool:
    return isinstance(exc, TransientPlatformError) and exc.status == 429


class PlatformSession:
    """A shared ``httpx.Client`` wrapped in the platform's limiter, breaker and retry policy."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        policy: HttpPolicy,
        *,
        credential_env: str,
        token_fetcher: TokenFetcher | None = None,
        classifier: Classifier | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.platform = platform
        self.policy = policy
        self.credential_env = credential_env
        self.classify = classifier or default_classifier(platform, credential_env)
        # httpx ignores ``limits`` when a transport is passed, so the pool is set on it.
        pool = httpx.Limits(
            max_connections=policy.max_connections,
            max_keepalive_connections=policy.max_connections,
        )
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(policy.timeout_seconds, connect=min(5.0, policy.timeout_seconds)),
            transport=transport or httpx.HTTPTransport(limits=pool),
            headers={"User-Agent": "promoteros-pipelines"},
        )
        # imported here: pybreaker imports redis (0.15-0.2 s of CPU), which every run worker
        # would otherwise pay loading the code location, platform calls or not
        import pybreaker

        from promoteros_pipelines.resources.platforms.breaker_state import BreakerStateRecorder

        self.breaker = pybreaker.CircuitBreaker(
            fail_max=policy.breaker_fail_max,
            reset_timeout=policy.breaker_reset_seconds,
            # Permanent/auth errors say nothing about the platform's health, and a 429 means it
            # is up and asking us to slow down: none of them count towards opening the circuit.
            exclude=[PermanentPlatformError, PlatformAuthError, _is_rate_limit],
            name=platform,
            listeners=[BreakerStateRecorder(platform)],  # so system_health can see it
        )
        self.limiter = limiter_factory.create_token_bucket_limiter(
            rate_per_duration=max(1, round(policy.requests_per_second)),
            duration=Duration.SECOND,
            burst=max(1, policy.burst),
            buffer_ms=5,
        )
        self._token_fetcher = token_fetcher
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0
        self.token_fetches = 0

    def close(self) -> None:
        self.client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json: dict | None = None,
    ) -> httpx.Response:
        """One logical call with retries; raises a ``PlatformError`` subclass on failure."""
        import pybreaker

        try:
            for attempt in stamina.retry_context(
                on=self._retry_hook,
                attempts=self.policy.max_attempts,
                timeout=self.policy.retry_timeout_seconds,
                wait_initial=self.policy.wait_initial_seconds,
                wait_max=self.policy.wait_max_seconds,
                wait_jitter=self.policy.wait_jitter_seconds,
            ):
                with attempt:
                    return self.breaker.call(self._attempt, method, url, params, json)
        except pybreaker.CircuitBreakerError as exc:
            raise PlatformUnavailableError(
                self.platform,
                "circuit open after repeated failures; calls stopped for this run",
                hint=f"The platform looks down; retry after {self.policy.breaker_reset_seconds:g}s",
            ) from exc
        raise AssertionError("unreachable")

    def _retry_hook(self, exc: Exception) -> bool | float:
        if not isinstance(exc, TransientPlatformError):
            return False
        if exc.retry_after is not None:
            return min(exc.retry_after, self.policy.max_retry_after_seconds)
        return True

    def _attempt(self, method: str, url: str, params: dict | None, json: dict | None):
        self.limiter.try_acquire(self.platform)
        token = self.token() if self._token_fetcher else None
        response = self._send(method, url, params, json, token)
        if response.status_code == 401 and token is not None:
            # An expired token is refreshed exactly once; a second 401 is an auth failure.
            token = self.token(stale=token)
            response = self._send(method, url, params, json, token)
            if response.status_code == 401:
                raise PlatformAuthError(
                    self.platform,
                    "a freshly issued token was rejected",
                    status=401,
                    hint=f"Check {self.credential_env}",
                )
        error = self.classify(response)
        if error is not None:
            raise error
        return response

    def _send(self, method, url, params, json, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            return self.client.request(method, url, params=params, json=json, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientPlatformError(self.platform, f"timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransientPlatformError(self.platform, f"connection failed: {exc!r}") from exc

    def token(self, stale: str | None = None) -> str:
        """The cached access token, fetched when missing, expiring, or equal to ``stale``."""
        with self._token_lock:
            expiring = time.monotonic() > self._token_expires - 30
            if self._token is None or expiring or self._token == stale:
                assert self._token_fetcher is not None
                try:
                    token, expires_in = self._token_fetcher(self.client)
                except httpx.TransportError as exc:
                    raise TransientPlatformError(self.platform, f"token fetch: {exc!r}") from exc
                self.token_fetches += 1
                self._token, self._token_expires = token, time.monotonic() + expires_in
            return self._token


def fetch_client_credentials_token(
    platform: str,
    response: httpx.Response,
    credential_env: str,
) -> tuple[str, float]:
    """Read a client-credentials token response, classifying failures."""
    if response.status_code in (400, 401, 403):
        raise PlatformAuthError(
            platform,
            f"token request refused: {response.text[:200]}",
            status=response.status_code,
            hint=f"Set {credential_env} to valid credentials",
        )
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientPlatformError(
            platform,
            "token endpoint unavailable",
            status=response.status_code,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    body = response.json()
    return body["access_token"], float(body.get("expires_in", 3600))
