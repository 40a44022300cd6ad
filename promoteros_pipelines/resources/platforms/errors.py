"""Three kinds of platform failure, because each calls for a different reaction.

* ``TransientPlatformError``: try again later (429, 5xx, timeouts); retried with backoff.
* ``PermanentPlatformError``: this item will not work (unknown id, bad request); fail the artist,
  keep the rest.
* ``PlatformAuthError``: credentials are wrong or expired beyond refresh; stop this platform
  and tell a person which environment variable to fix.
* ``PlatformUnavailableError``: the circuit breaker is open after repeated transient failures;
  stop calling the platform for this run.
"""


class PlatformError(Exception):
    """A platform call failed; ``str()`` says what happened, what it affects and what to do."""

    kind = "error"

    def __init__(
        self, platform: str, message: str, *, status: int | None = None, hint: str = ""
    ) -> None:
        self.platform = platform
        self.status = status
        self.message = message
        self.hint = hint
        status_text = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{platform}{status_text}: {message}" + (f". {hint}" if hint else ""))


class TransientPlatformError(PlatformError):
    kind = "transient"

    def __init__(self, *args, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class PermanentPlatformError(PlatformError):
    kind = "permanent"


class PlatformAuthError(PlatformError):
    kind = "auth"


class PlatformUnavailableError(PlatformError):
    kind = "unavailable"
