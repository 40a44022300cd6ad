"""Prometheus counters for the ingress, one registry per app so tests and replicas stay apart.

Labels are bounded on purpose: ``source`` and ``event_type`` only after they are known to be
valid, and rejections only by reason, so a scanner posting to random paths cannot blow up the
series count.
"""

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class IngressMetrics:
    """Accepted and replayed events, rejections by reason, request latency."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.accepted = Counter(
            "promoteros_ingress_accepted",
            "Webhook events committed to webhook_events (202).",
            ["source", "event_type"],
            registry=self.registry,
        )
        self.replayed = Counter(
            "promoteros_ingress_replayed",
            "Redelivered webhook-ids answered with the original event id (200).",
            ["source", "event_type"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "promoteros_ingress_rejected",
            "Requests refused, by reason (the error code of the JSON answer).",
            ["reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "promoteros_ingress_request_seconds",
            "Time from request start to answer for POST /webhooks, by outcome.",
            ["outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._accepted_latency = self.latency.labels("accepted")
        self._replayed_latency = self.latency.labels("replayed")
        self._rejected_latency = self.latency.labels("rejected")
        self._stored: dict[tuple[str, str, bool], Any] = {}

    def observe_stored(self, source: str, event_type: str, created: bool, seconds: float) -> None:
        key = (source, event_type, created)
        counter = self._stored.get(key)
        if counter is None:  # label lookups cost more than the increment; keep the children
            counter = (self.accepted if created else self.replayed).labels(source, event_type)
            self._stored[key] = counter
        counter.inc()
        (self._accepted_latency if created else self._replayed_latency).observe(seconds)

    def observe_rejected(self, reason: str, seconds: float | None) -> None:
        self.rejected.labels(reason).inc()
        if seconds is not None:
            self._rejected_latency.observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
