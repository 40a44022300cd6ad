"""Notifier: signed, retried, circuit-broken deliveries to n8n, Slack and the UI, via an outbox.

``enqueue`` only writes a row to ``promoteros.outbox_deliveries`` (natural key:
``idempotency_key``), so callers inside a pipeline never block on, or fail because of, a slow
receiver. ``deliver_pending`` posts what is due, signed like the ingress verifies
(Standard Webhooks; ``webhook-id`` = the idempotency key, so a receiver that honours it never
acts twice), reschedules failures with exponential backoff and full jitter (never sooner
than a 429's or 503's ``Retry-After`` asks), and after
``max_attempts`` marks a delivery ``dead`` (listed and replayed by ``promoteros outbox``).
A circuit breaker per target stops hammering a receiver that is down.
"""

import json
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import psycopg
from dagster import ConfigurableResource
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import Field
from standardwebhooks.webhooks import Webhook

from promoteros_pipelines.resources.outbox import (
    CLAIM_DUE,
    INSERT_DELIVERY,
    LIST_DELIVERIES,
    RECORD_DEAD,
    RECORD_DELIVERED,
    RECORD_RETRY,
    REPLAY,
    RESCHEDULE,
    DeliveryReport,
)
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from promoteros_pipelines.settings import DATABASE_URL_ENV, ConfigurationError

if TYPE_CHECKING:
    # imported where a breaker is used: pybreaker imports redis, 0.15-0.2 s of CPU that every
    # run worker would pay loading the code location
    import pybreaker

TARGETS_ENV = "PROMOTEROS_OUTBOUND_TARGETS"
TARGET_URL_ENV_PREFIX = "PROMOTEROS_OUTBOUND_URL_"
SECRET_ENV = "PROMOTEROS_OUTBOUND_SECRET"
# Statuses a receiver uses for "try again later"; any other 4xx will never succeed.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})

# One breaker per target per process: kept across resource instances so a long-lived process
# (the Dagster code server running the delivery sensor) remembers that a target is down.
_BREAKERS: dict[tuple[str, str, int, float], "pybreaker.CircuitBreaker"] = {}


class ReceiverUnavailable(Exception):
    """A failure worth retrying (network error, 5xx, 429); trips the target's breaker."""

    def __init__(
        self, message: str, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the delta form; an HTTP date is read as absent)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


@dataclass(frozen=True)
class Target:
    name: str
    url: str

    @property
    def is_slack(self) -> bool:
        return self.name.startswith("slack") or urlsplit(self.url).hostname == "hooks.slack.com"


def parse_targets(value: str, environ: Mapping[str, str] | None = None) -> dict[str, Target]:
    """``"n8n=https://... slack=https://..."`` plus any PROMOTEROS_OUTBOUND_URL_<NAME>."""
    env = os.environ if environ is None else environ
    targets: dict[str, str] = {}
    for item in value.replace(",", " ").split():
        name, sep, url = item.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"{TARGETS_ENV} holds 'name=https://url' pairs separated by spaces or commas; "
                f"cannot read the entry starting {item[:12]!r}."
            )
        targets[name.lower()] = url
    for key, url in env.items():
        if key.startswith(TARGET_URL_ENV_PREFIX) and url:
            targets[key[len(TARGET_URL_ENV_PREFIX) :].lower()] = url
    return {name: Target(name, url) for name, url in targets.items()}


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempts-1))]."""
    return random.uniform(0, min(cap, base * 2 ** max(attempts - 1, 0)))


def slack_text(event_type: str, payload: Mapping[str, Any]) -> str:
    """Slack incoming webhooks take ``{"text": ...}``; use the payload's own text if it has one."""
    text = payload.get("text")
    if isinstance(text, str) and text:
        return text
    return f"*{event_type}*\n```{json.dumps(payload, indent=2, default=str)[:3500]}```"


class Notifier(ConfigurableResource):
    """Outbound notifications through the outbox table, signed and retried per target.

    Targets: ``PROMOTEROS_OUTBOUND_TARGETS`` (``n8n=URL slack=URL ui=URL``) and/or one
    ``PROMOTEROS_OUTBOUND_URL_<NAME>`` each; signing secret ``PROMOTEROS_OUTBOUND_SECRET``.
    """

    warehouse: PostgresWarehouse = Field(description="The warehouse holding the outbox table.")
    targets: str = Field(default="", description="'name=url' pairs, spaces or commas between.")
    signing_secret: str = Field(default="", description="whsec_... secret signing deliveries.")
    max_attempts: int = Field(default=8, ge=1, description="Attempts before a delivery is dead.")
    retry_base_seconds: float = Field(default=30.0, ge=0, description="First retry delay cap.")
    retry_max_seconds: float = Field(default=3600.0, ge=0, description="Longest retry delay.")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Per-request HTTP timeout.")
    breaker_fail_max: int = Field(default=5, ge=1, description="Failures that open a circuit.")
    breaker_reset_seconds: float = Field(default=60.0, gt=0, description="Open-circuit pause.")

    @classmethod
    def from_env(cls, database_url: str | None = None, **overrides: Any) -> "Notifier":
        """Build from the environment (the CLI and definitions use this)."""
        url = database_url or os.environ.get(DATABASE_URL_ENV)
        if not url:
            raise ConfigurationError(f"{DATABASE_URL_ENV} is not set; run through `promoteros`.")
        return cls(
            warehouse=PostgresWarehouse(database_url=url),
            targets=os.environ.get(TARGETS_ENV, ""),
            signing_secret=os.environ.get(SECRET_ENV, ""),
            **overrides,
        )

    def configured_targets(self) -> dict[str, Target]:
        return parse_targets(self.targets)

    def enqueue(
        self, target: str, event_type: str, payload: Mapping[str, Any], idempotency_key: str
    ) -> tuple[int, bool]:
        """Queue one delivery; returns (delivery_id, created). The same key again is a no-op.

        Args:
            target: a configured target name (``n8n``, ``slack``, ``ui`` ...).
            event_type: what happened, e.g. ``alert.viral`` (sent as ``type``).
            payload: JSON-serialisable data (sent as ``data``; Slack gets ``text``).
            idempotency_key: stable for the logical notification, e.g. ``alert-42-slack``.
        """
        targets = self.configured_targets()
        if target not in targets:
            known = ", ".join(sorted(targets)) or "none"
            raise ConfigurationError(
                f"Unknown notification target '{target}' (configured: {known}); add "
                f"'{target}=https://...' to {TARGETS_ENV} or set "
                f"{TARGET_URL_ENV_PREFIX}{target.upper()}."
            )
        with self.warehouse.connect() as conn:
            row = conn.execute(
                INSERT_DELIVERY,
                (idempotency_key, target, targets[target].url, event_type, Jsonb(dict(payload))),
            ).fetchone()
            if row is not None:
                return int(row[0]), True
            existing = conn.execute(
                "SELECT delivery_id FROM promoteros.outbox_deliveries WHERE idempotency_key = %s",
                (idempotency_key,),
            ).fetchone()
        assert existing is not None
        return int(existing[0]), False

    def deliver_pending(self, limit: int = 100) -> DeliveryReport:
        """Attempt every due delivery once; returns what happened to them."""
        report = DeliveryReport()
        lease = self.timeout_seconds * 3 + 30
        with self.warehouse.connect() as conn:
            conn.row_factory = dict_row  # type: ignore[assignment]
            due = conn.execute(CLAIM_DUE, (lease, limit)).fetchall()
            if not due:
                return report
            signer = self._signer(due)  # a configuration error rolls the claim back
            conn.commit()
            with httpx.Client(timeout=self.timeout_seconds, follow_redirects=False) as client:
                for delivery in due:
                    self._attempt(conn, client, signer, delivery, report)
                    conn.commit()
        return report

    def list_deliveries(self, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        with self.warehouse.connect() as conn:
            conn.row_factory = dict_row  # type: ignore[assignment]
            return conn.execute(LIST_DELIVERIES, (status, status, limit)).fetchall()

    def replay(self, delivery_id: int, force: bool = False) -> bool:
        """Make a dead (or, with ``force``, a delivered) delivery due again, attempts reset."""
        statuses = ["dead", "pending", "delivered"] if force else ["dead", "pending"]
        with self.warehouse.connect() as conn:
            return conn.execute(REPLAY, (delivery_id, statuses)).rowcount == 1

    def _signer(self, due: list[dict[str, Any]]) -> Webhook | None:
        needs_signature = any(not Target(d["target"], d["url"]).is_slack for d in due)
        if not self.signing_secret:
            if needs_signature:
                raise ConfigurationError(
                    f"{SECRET_ENV} is not set, so deliveries to n8n and the UI cannot be "
                    "signed; set it to a whsec_... secret shared with the receivers."
                )
            return None
        try:
            return Webhook(self.signing_secret)
        except Exception as error:
            raise ConfigurationError(
                f"{SECRET_ENV} is not a valid whsec_... secret (base64 after 'whsec_')."
            ) from error

    def _breaker(self, target: Target) -> "pybreaker.CircuitBreaker":
        import pybreaker

        key = (target.name, target.url, self.breaker_fail_max, self.breaker_reset_seconds)
        if key not in _BREAKERS:
            _BREAKERS[key] = pybreaker.CircuitBreaker(
                fail_max=self.breaker_fail_max,
                reset_timeout=self.breaker_reset_seconds,
                name=f"outbound:{target.name}",
                throw_new_error_on_trip=False,
            )
        return _BREAKERS[key]

    def _attempt(
        self,
        conn: psycopg.Connection,
        client: httpx.Client,
        signer: Webhook | None,
        delivery: dict[str, Any],
        report: DeliveryReport,
    ) -> None:
        import pybreaker

        target = Target(delivery["target"], delivery["url"])
        breaker = self._breaker(target)
        try:
            response = breaker.call(self._post, client, signer, target, delivery)
        except pybreaker.CircuitBreakerError:
            # not attempted: the target is known to be down; try again when the circuit may close
            conn.execute(RESCHEDULE, (self.breaker_reset_seconds, delivery["delivery_id"]))
            report.deferred.append(delivery["delivery_id"])
            return
        except ReceiverUnavailable as error:
            self._failed(conn, delivery, error, report)
            return
        if response.is_success:
            conn.execute(RECORD_DELIVERED, (response.status_code, delivery["delivery_id"]))
            report.delivered.append(delivery["delivery_id"])
            return
        # a 4xx that retrying cannot fix (bad URL, auth, payload): dead now, not after 8 tries
        error = f"HTTP {response.status_code} from {target.name}: {response.text[:200]}"
        conn.execute(RECORD_DEAD, (error, response.status_code, delivery["delivery_id"]))
        report.dead.append(delivery["delivery_id"])

    def _post(
        self,
        client: httpx.Client,
        signer: Webhook | None,
        target: Target,
        delivery: dict[str, Any],
    ) -> httpx.Response:
        payload = delivery["payload"]
        if target.is_slack:
            body = {"text": slack_text(delivery["event_type"], payload)}
        else:
            body = {
                "type": delivery["event_type"],
                "timestamp": delivery["created_at"].isoformat(),
                "data": payload,
            }
        content = json.dumps(body, separators=(",", ":"), default=str)
        key = delivery["idempotency_key"]
        now = datetime.now(tz=UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": key,
            "webhook-timestamp": str(int(now.timestamp())),
            "idempotency-key": key,
            "user-agent": "promoteros-notifier/1",
        }
        if signer is not None:
            headers["webhook-signature"] = signer.sign(key, now, content)
        try:
            response = client.post(target.url, content=content.encode(), headers=headers)
        except httpx.HTTPError as error:
            raise ReceiverUnavailable(f"{type(error).__name__} posting to {target.name}") from error
        if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
            raise ReceiverUnavailable(
                f"HTTP {response.status_code} from {target.name}: {response.text[:200]}",
                response.status_code,
                retry_after_seconds(response.headers.get("retry-after")),
            )
        return response

    def _failed(
        self,
        conn: psycopg.Connection,
        delivery: dict[str, Any],
        failure: ReceiverUnavailable,
        report: DeliveryReport,
    ) -> None:
        attempts = delivery["attempts"] + 1
        error, status_code = str(failure), failure.status_code
        if attempts >= self.max_attempts:
            conn.execute(RECORD_DEAD, (error, status_code, delivery["delivery_id"]))
            report.dead.append(delivery["delivery_id"])
            return
        delay = backoff_seconds(attempts, self.retry_base_seconds, self.retry_max_seconds)
        if failure.retry_after is not None:  # the receiver said when; no sooner, within the cap
            delay = max(delay, min(failure.retry_after, self.retry_max_seconds))
        conn.execute(RECORD_RETRY, (error, status_code, delay, delivery["delivery_id"]))
        report.retried.append(delivery["delivery_id"])
