"""Signed, expiring download links: ``{PROMOTEROS_PUBLIC_URL}/reports/{token}``.

The token is an itsdangerous signature (HMAC-SHA256 with ``PROMOTEROS_LINK_SECRET``) over the
object key and the expiry instant, so the server needs no lookup to refuse a forged, altered
or stale link, and the expiry is the one stored with the report, not "24 h after signing".
There is no default secret: without one, nothing is signed and nothing is served.
"""

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer

from promoteros_pipelines.settings import ConfigurationError

LINK_SECRET_ENV = "PROMOTEROS_LINK_SECRET"
PUBLIC_URL_ENV = "PROMOTEROS_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8787"
LINK_LIFETIME = timedelta(hours=24)
MIN_SECRET_LENGTH = 32
_SALT = "promoteros.custom-report-download"
APPROVAL_SALT = "promoteros.approval-decision"


class LinkRefused(Exception):
    """A link that must not serve anything; ``status`` is the HTTP answer (403 or 410)."""

    status = 403


class LinkTampered(LinkRefused):
    """The signature does not match: forged, altered or signed with another secret."""

    status = 403


class LinkExpired(LinkRefused):
    """A genuine link past its expiry."""

    status = 410


@dataclass(frozen=True)
class SignedObject:
    key: str
    expires_at: datetime


def require_secret(secret: str | None) -> str:
    """The secret, or a ConfigurationError that says how to make one."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"{LINK_SECRET_ENV} is not set (or shorter than {MIN_SECRET_LENGTH} characters); "
            "signed links (report downloads, approval decisions) cannot be made or checked without "
            "it. Set the same value "
            "for the code location and the ingress, e.g. from "
            '`python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
        )
    return secret


class LinkSigner:
    """Signs and verifies link tokens with one secret.

    ``salt`` separates the uses of that secret: a download token is not an approval token
    (``APPROVAL_SALT``), even for the same key.
    """

    def __init__(self, secret: str | None, salt: str = _SALT) -> None:
        self._secret = require_secret(secret)
        self._serializer = URLSafeSerializer(self._secret, salt=salt)

    @classmethod
    def from_env(cls, salt: str = _SALT) -> "LinkSigner":
        return cls(os.environ.get(LINK_SECRET_ENV), salt)

    def sign(self, key: str, expires_at: datetime) -> str:
        return self._serializer.dumps({"k": key, "x": int(expires_at.timestamp())})

    def derived_key(self, purpose: str) -> bytes:
        """A key for another use of the same secret (e.g. CSRF tokens), never the secret."""
        return hmac.new(self._secret.encode(), purpose.encode(), "sha256").digest()

    def verify(self, token: str, now: datetime | None = None) -> SignedObject:
        """The object a token grants, or LinkTampered / LinkExpired; never touches a file."""
        try:
            claims = self._serializer.loads(token)
            key, expiry = claims["k"], claims["x"]
        except (BadData, KeyError, TypeError) as error:
            raise LinkTampered("the link's signature is not valid") from error
        if not isinstance(key, str) or not isinstance(expiry, int):
            raise LinkTampered("the link's contents are not valid")
        expires_at = datetime.fromtimestamp(expiry, UTC)
        if (now or datetime.now(UTC)) >= expires_at:
            raise LinkExpired(f"the link expired at {expires_at:%Y-%m-%d %H:%M} UTC")
        return SignedObject(key=key, expires_at=expires_at)


def public_url() -> str:
    return (os.environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL).rstrip("/")


def download_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/reports/{token}"


def token_fingerprint(token: str) -> str:
    """A short, non-reversible id of a token for logs (the token itself grants access)."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]
