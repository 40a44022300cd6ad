"""Standard Webhooks verification against every secret a source has (rotation).

The ``standardwebhooks`` library does the HMAC, the constant-time comparison and the 5-minute
tolerance; this module only tries each secret in turn and names *why* a request failed, so the
rejection metric can tell a clock problem from a wrong secret.

Nothing about the body is looked at before its signature is verified: a sender that cannot
sign learns only "401". The library signs text, so a body that is not UTF-8 is checked
against the HMAC of its raw bytes (what the spec's ``{id}.{timestamp}.{body}`` means for
bytes); only a correctly signed one is then told it is not UTF-8.
"""

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

TOLERANCE_SECONDS = 5 * 60
MAX_WEBHOOK_ID_LENGTH = 256
# Unix seconds as the spec writes them: ASCII digits only, so "nan", "inf", "1e9" or "١٢٣"
# are refused here rather than by whatever the library's float() makes of them.
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True)
class SourceSecret:
    """One secret of a source: the library's verifier and its key (for non-UTF-8 bodies)."""

    verifier: Webhook
    key: bytes = b""

    @classmethod
    def parse(cls, secret: str) -> "SourceSecret":
        """``whsec_<base64>`` as the library reads it; raises what the library raises."""
        verifier = Webhook(secret)
        key = base64.b64decode(secret.removeprefix("whsec_") + "==")
        return cls(verifier, key)

    def signs_bytes(self, webhook_id: str, timestamp: str, body: bytes, signature: str) -> bool:
        expected = hmac.new(
            self.key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256
        ).digest()
        for item in signature.split(" "):
            version, _, encoded = item.partition(",")
            if version != "v1":
                continue
            try:
                candidate = base64.b64decode(encoded, validate=True)
            except ValueError:
                continue
            if hmac.compare_digest(expected, candidate):
                return True
        return False


class SignatureRejected(Exception):
    """The request is not provably from the source; ``reason`` is a short metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class NotUtf8(Exception):
    """A correctly signed body that is not UTF-8 text (answered 400)."""


def _no_match() -> SignatureRejected:
    return SignatureRejected(
        "invalid_signature",
        "no signature matches any secret of this source; sign "
        "'{webhook-id}.{webhook-timestamp}.{body}' with HMAC-SHA256",
    )


def verify(
    secrets: Sequence[SourceSecret], body: bytes, headers: Mapping[str, str], source: str
) -> str:
    """Return the verified ``webhook-id``, or raise ``SignatureRejected``.

    Raises ``NotUtf8`` for a correctly signed body that is not UTF-8 (the spec signs text),
    which the caller answers as non-JSON.
    """
    if not secrets:
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
    if not _TIMESTAMP.match(timestamp):
        raise SignatureRejected(
            "invalid_signature", "webhook-timestamp must be Unix seconds (digits only)"
        )
    skew = int(timestamp) - time.time()
    if abs(skew) > TOLERANCE_SECONDS:
        raise SignatureRejected(
            "stale_timestamp",
            f"webhook-timestamp is {abs(skew):.0f} s in the {'future' if skew > 0 else 'past'}; "
            "it must be within 5 minutes of the receiver's clock (check the sender's clock)",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        if any(s.signs_bytes(webhook_id, timestamp, body, signature) for s in secrets):
            raise NotUtf8("the body is not UTF-8 text") from None
        raise _no_match() from None
    wanted = {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }
    for secret in secrets:
        try:
            secret.verifier.verify(text, wanted, json_parse=False)
        except WebhookVerificationError:
            continue
        except ValueError:  # malformed "v1,<base64>" lists: the library splits and decodes
            break
        return webhook_id
    raise _no_match()
