"""Each platform's circuit-breaker state, written where ``system_health`` can read it.

pybreaker keeps a breaker's state in the memory of the process making the calls (a run), so
the health probe, running in another process, cannot see it. This listener records every state
change in ``promoteros.platform_breakers`` (platform, state, failures, changed_at) of the
warehouse named by ``PROMOTEROS_DATABASE_URL``. Recording is best effort: a database that
cannot be reached is logged and never fails or slows a platform call beyond a short connect
timeout.
"""

import logging
import os

import psycopg
import pybreaker

log = logging.getLogger(__name__)
DATABASE_URL_ENV = "PROMOTEROS_DATABASE_URL"
CONNECT_TIMEOUT = 2
RECORD = """
INSERT INTO promoteros.platform_breakers (platform, state, failures, changed_at)
VALUES (%s, %s, %s, now())
ON CONFLICT (platform) DO UPDATE SET state = EXCLUDED.state, failures = EXCLUDED.failures,
    changed_at = EXCLUDED.changed_at
"""


class BreakerStateRecorder(pybreaker.CircuitBreakerListener):
    """Writes ``platform``'s breaker state on every change (closed, open, half-open)."""

    def __init__(self, platform: str, database_url: str | None = None) -> None:
        self.platform = platform
        self.database_url = database_url

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        url = self.database_url or os.environ.get(DATABASE_URL_ENV)
        if not url:
            return
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as conn:
                conn.execute(RECORD, (self.platform, new_state.name, cb.fail_counter))
        except psycopg.Error as error:
            log.warning(
                "could not record the %s circuit breaker as %s: %s",
                self.platform,
                new_state.name,
                str(error).strip()[:200],
            )
