"""The outbox's SQL and the report of one delivery pass (kept apart so notifier.py reads as
the delivery rules, not as SQL).

Every statement that changes a row's state also bumps ``updated_at``; attempts count real
posts only (a delivery skipped because its target's circuit is open is not charged).
"""

from dataclasses import dataclass, field

INSERT_DELIVERY = """
INSERT INTO promoteros.outbox_deliveries (idempotency_key, target, url, event_type, payload)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING delivery_id
"""

# The claim: push next_attempt_at past a lease so a concurrent pass skips these rows; the
# outcome of the attempt then sets the real schedule. A crashed pass retries after the lease.
CLAIM_DUE = """
UPDATE promoteros.outbox_deliveries AS d
SET next_attempt_at = now() + make_interval(secs => %s), updated_at = now()
FROM (
    SELECT delivery_id FROM promoteros.outbox_deliveries
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at, delivery_id
    LIMIT %s
    FOR UPDATE SKIP LOCKED
) AS due
WHERE d.delivery_id = due.delivery_id
RETURNING d.delivery_id, d.idempotency_key, d.target, d.url, d.event_type, d.payload,
    d.attempts, d.created_at
"""

RECORD_DELIVERED = """
UPDATE promoteros.outbox_deliveries
SET status = 'delivered', attempts = attempts + 1, delivered_at = now(), last_error = NULL,
    last_status_code = %s, updated_at = now()
WHERE delivery_id = %s
"""

RECORD_RETRY = """
UPDATE promoteros.outbox_deliveries
SET attempts = attempts + 1, last_error = %s, last_status_code = %s,
    next_attempt_at = now() + make_interval(secs => %s), updated_at = now()
WHERE delivery_id = %s
"""

RECORD_DEAD = """
UPDATE promoteros.outbox_deliveries
SET status = 'dead', attempts = attempts + 1, last_error = %s, last_status_code = %s,
    updated_at = now()
WHERE delivery_id = %s
"""

RESCHEDULE = """
UPDATE promoteros.outbox_deliveries
SET next_attempt_at = now() + make_interval(secs => %s), updated_at = now()
WHERE delivery_id = %s
"""

REPLAY = """
UPDATE promoteros.outbox_deliveries
SET status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = NULL,
    updated_at = now()
WHERE delivery_id = %s AND status = ANY(%s)
"""

LIST_DELIVERIES = """
SELECT delivery_id, idempotency_key, target, event_type, status, attempts, next_attempt_at,
    last_status_code, last_error, created_at, delivered_at
FROM promoteros.outbox_deliveries
WHERE (%s::text IS NULL OR status = %s)
ORDER BY delivery_id DESC
LIMIT %s
"""


@dataclass
class DeliveryReport:
    """Delivery ids by outcome of one ``deliver_pending`` pass."""

    delivered: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)  # circuit open: not attempted

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retried) + len(self.dead)
