"""Standard Webhooks signatures built by hand from the spec, for tests.

Deliberately not the ``standardwebhooks`` library the project verifies and signs with, so a
bug shared by signer and verifier cannot hide: ``v1,base64(HMAC-SHA256(key, "{id}.{ts}.{body}"))``
with the key being the base64 part of the ``whsec_`` secret.
"""

import base64
import hashlib
import hmac
import time
import uuid


def hand_signature(secret: str, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(
    secret: str,
    body: bytes,
    webhook_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers of a signed JSON webhook (fresh id and current time unless given)."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": hand_signature(secret, webhook_id, timestamp, body),
        "content-type": "application/json",
    }
