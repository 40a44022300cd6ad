"""Ingress settings from the environment: which sources exist, their secrets, the body cap.

Secrets never leave this module except as ``SourceSecret`` verifiers; error messages name the
variable to fix, never its value.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from promoteros_pipelines.ingress.signatures import SourceSecret
from promoteros_pipelines.settings import DATABASE_URL_ENV, ConfigurationError

SECRETS_ENV_PREFIX = "PROMOTEROS_WEBHOOK_SECRETS_"
MAX_BODY_ENV = "PROMOTEROS_INGRESS_MAX_BODY"
DEFAULT_MAX_BODY = 1024 * 1024
KNOWN_SOURCES = ("n8n", "scraper", "ticketing", "ui")
_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def secrets_env(source: str) -> str:
    """The variable holding ``source``'s secrets, e.g. PROMOTEROS_WEBHOOK_SECRETS_N8N."""
    return f"{SECRETS_ENV_PREFIX}{source.upper()}"


def parse_secrets(source: str, value: str) -> tuple[SourceSecret, ...]:
    """One verifier per ``whsec_...`` secret; several at once allow rotation without downtime."""
    verifiers = []
    for position, secret in enumerate(value.replace(",", " ").split(), start=1):
        try:
            verifiers.append(SourceSecret.parse(secret))
        except Exception as error:  # the library raises binascii.Error, ValueError, its own
            raise ConfigurationError(
                f"Secret #{position} in {secrets_env(source)} is not a valid Standard Webhooks "
                "secret (expected 'whsec_' followed by base64); generate one with "
                "`python -c \"import base64,os;print('whsec_'+base64.b64encode(os.urandom(32))"
                '.decode())"`.'
            ) from error
    return tuple(verifiers)


@dataclass(frozen=True)
class IngressSettings:
    """Everything the ingress needs; build it with ``from_env`` or directly in tests."""

    database_url: str
    verifiers: Mapping[str, tuple[SourceSecret, ...]] = field(default_factory=dict)
    max_body: int = DEFAULT_MAX_BODY
    max_batch: int = 512
    writers: int = 2
    store_timeout: float = 5.0
    # how long a request may wait for a pooled connection before it is answered 503
    connect_timeout: float = 0.5

    @property
    def sources(self) -> frozenset[str]:
        """Sources with a route: the four built in plus any with a secrets variable."""
        return frozenset(KNOWN_SOURCES) | frozenset(self.verifiers)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, database_url: str | None = None
    ) -> "IngressSettings":
        env = os.environ if environ is None else environ
        url = database_url or env.get(DATABASE_URL_ENV)
        if not url:
            raise ConfigurationError(
                f"{DATABASE_URL_ENV} is not set; start the ingress with `promoteros ingress`, "
                "which resolves the database like every other command."
            )
        verifiers: dict[str, tuple[SourceSecret, ...]] = {}
        for name, value in env.items():
            if not name.startswith(SECRETS_ENV_PREFIX):
                continue
            source = name[len(SECRETS_ENV_PREFIX) :].lower()
            if not _SOURCE_NAME.match(source):
                raise ConfigurationError(
                    f"{name}: source names are letters, digits and underscores; rename it."
                )
            verifiers[source] = parse_secrets(source, value)
        return cls(database_url=url, verifiers=verifiers, max_body=_max_body(env))

    def with_secrets(self, secrets: Mapping[str, str]) -> "IngressSettings":
        """A copy with ``{source: "whsec_a whsec_b"}`` secrets (tests, embedding)."""
        parsed = {source: parse_secrets(source, value) for source, value in secrets.items()}
        return replace(self, verifiers={**self.verifiers, **parsed})


def _max_body(env: Mapping[str, str]) -> int:
    raw = env.get(MAX_BODY_ENV)
    if not raw:
        return DEFAULT_MAX_BODY
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(
            f"{MAX_BODY_ENV} must be a positive number of bytes (got {raw!r}); "
            f"unset it for the default of {DEFAULT_MAX_BODY}."
        )
    return value
