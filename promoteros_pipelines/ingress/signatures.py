"""Standard Webhooks verification against every secret a source has (rotation).

The ``standardwebhooks`` library does the HMAC, the constant-time comparison and the 5-minute
tolerance; this module only tries each secret in turn and names *why* a request failed, so the
rejection metric can tell a clock problem from a wrong secret.
"""

import time
from collections.abc import Mapping, Sequence

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

TOLERANCE_SECONDS = 5 * 60
MAX_WEBHOOK_ID_LENGTH = 256


class SignatureRejected(Exception):
    """The request is not provably from the source; ``reason`` is a short metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def verify(
    verifiers: Sequence[Webhook], body: bytes, headers: Mapping[str, str], source: str
) -> str:
    """Return the verified ``webhook-id``, or raise ``SignatureRejected``.

    Raises ``UnicodeDecodeError`` for a body that is not UTF-8 (the spec signs text), which
    the caller answers as non-JSON.
    """
    if not verifiers:
        raise SignatureRejected(
            "no_secret",
            f"no secret is configured for source '{source}'; set "
            f"PROMOTEROS_WEBHOOK_SECRETS_{source.upper()} on the ingress",
        )
    webhook_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signature = headers.get("webhook-signature", "")
    if not (webhook_id and timestamp and signature):
        raise SignatureRejected(
            "missing_signature",
            "webhook-id, webhook-timestamp and webhook-signature headers are required",
        )
    if len(webhook_id) > MAX_WEBHOOK_ID_LENGTH or not webhook_id.isprintable():
        raise SignatureRejected(
            "invalid_signature", f"webhook-id must be printable, at most {MAX_WEBHOOK_ID_LENGTH}"
        )
    try:
        skew = float(timestamp) - time.time()
    except ValueError:
        raise SignatureRejected(
            "invalid_signature", "webhook-timestamp must be Unix seconds"
        ) from None
    if abs(skew) > TOLERANCE_SECONDS:
        raise SignatureRejected(
            "stale_timestamp",
            f"webhook-timestamp is {abs(skew):.0f} s in the {'future' if skew > 0 else 'past'}; "
            "it must be within 5 minutes of the receiver's clock (check the sender's clock)",
        )
    text = body.decode("utf-8")
    wanted = {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }
    for verifier in verifiers:
        try:
            verifier.verify(text, wanted, json_parse=False)
        except WebhookVerificationError:
            continue
        except ValueError:  # malformed "v1,<base64>" lists: the library splits and decodes
            break
        return webhook_id
    raise SignatureRejected(
        "invalid_signature",
        "no signature matches any secret of this source; sign "
        "'{webhook-id}.{webhook-timestamp}.{body}' with HMAC-SHA256",
    )
