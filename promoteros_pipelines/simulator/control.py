"""The simulator's moving parts: a simulated clock, injected faults and issued OAuth tokens.

All three are thread-safe because uvicorn may run the app while tests poke it from another
thread. The clock stands still by default (``speed=0``), which is what tests want; ``serve``
runs it at wall-clock speed.
"""

import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass

FAULT_MODES = ("down", "rate_limit", "slow", "expire_tokens", "flaky")


class SimClock:
    """Simulated time: ``anchor + speed * (wall seconds since anchoring)``, moved on demand."""

    def __init__(self, now: dt.datetime, speed: float = 0.0) -> None:
        if now.tzinfo is None:
            raise ValueError("SimClock needs an aware datetime (UTC)")
        self._lock = threading.Lock()
        self._anchor = now.astimezone(dt.UTC)
        self._wall = time.monotonic()
        self.speed = speed

    def now(self) -> dt.datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._wall) * self.speed
            return self._anchor + dt.timedelta(seconds=elapsed)

    def set(self, now: dt.datetime) -> dt.datetime:
        with self._lock:
            self._anchor = now.astimezone(dt.UTC)
            self._wall = time.monotonic()
            return self._anchor

    def advance(self, seconds: float) -> dt.datetime:
        return self.set(self.now() + dt.timedelta(seconds=seconds))


@dataclass
class Fault:
    """One injected behaviour. ``remaining`` counts affected requests; None means until cleared."""

    mode: str
    remaining: int | None = None
    retry_after: float = 1.0
    delay: float = 2.0
    calls: int = 0


class FaultBook:
    """Per-platform faults, consumed request by request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._token_generation: dict[str, int] = {}
        self._static_expired: set[str] = set()

    def set(self, platform: str, fault: Fault) -> None:
        if fault.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {fault.mode!r}; use one of {FAULT_MODES}")
        with self._lock:
            if fault.mode == "expire_tokens":
                # Expiry is an event, not a state: every token issued so far stops working.
                self._token_generation[platform] = self._token_generation.get(platform, 0) + 1
                self._static_expired.add(platform)
                return
            self._faults[platform] = fault

    def clear(self, platform: str | None = None) -> None:
        with self._lock:
            if platform is None:
                self._faults.clear()
                self._static_expired.clear()
            else:
                self._faults.pop(platform, None)
                self._static_expired.discard(platform)

    def take(self, platform: str) -> Fault | None:
        """The fault that applies to this request, if any, counting it down."""
        with self._lock:
            fault = self._faults.get(platform)
            if fault is None:
                return None
            fault.calls += 1
            if fault.mode == "flaky" and fault.calls % 2 == 0:
                return None  # flaky: every other request goes through
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[platform]
            return fault

    def token_generation(self, platform: str) -> int:
        with self._lock:
            return self._token_generation.get(platform, 0)

    def static_credentials_expired(self, platform: str) -> bool:
        with self._lock:
            return platform in self._static_expired

    def snapshot(self) -> dict[str, dict]:
        with self._lock:
            return {
                p: {"mode": f.mode, "remaining": f.remaining, "retry_after": f.retry_after}
                for p, f in self._faults.items()
            }


class TokenStore:
    """Client-credentials tokens with a lifetime on the simulated clock."""

    def __init__(self, clock: SimClock, faults: FaultBook, ttl_seconds: int = 3600) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._faults = faults
        self.ttl_seconds = ttl_seconds
        self._tokens: dict[str, tuple[str, int, dt.datetime]] = {}

    def issue(self, platform: str, prefix: str = "") -> str:
        token = prefix + secrets.token_urlsafe(24)
        expires = self._clock.now() + dt.timedelta(seconds=self.ttl_seconds)
        with self._lock:
            self._tokens[token] = (platform, self._faults.token_generation(platform), expires)
        return token

    def valid(self, platform: str, token: str | None) -> bool:
        with self._lock:
            entry = self._tokens.get(token or "")
        if entry is None:
            return False
        owner, generation, expires = entry
        return (
            owner == platform
            and generation == self._faults.token_generation(platform)
            and self._clock.now() < expires
        )
