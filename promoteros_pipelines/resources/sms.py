"""Text messages through an HTTP provider with Twilio's Messages API shape.

``POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json`` with form fields ``To``, ``From``,
``Body`` and HTTP basic auth (account SID, auth token). Settings come from
``PROMOTEROS_SMS_BASE_URL`` (default Twilio's), ``PROMOTEROS_SMS_ACCOUNT_SID``,
``PROMOTEROS_SMS_AUTH_TOKEN`` and ``PROMOTEROS_SMS_FROM``. Each request carries an
``Idempotency-Key`` header, so a provider (or gateway) that honours it never sends twice.
"""

import os
from typing import Any

import httpx
from dagster import ConfigurableResource, EnvVar
from pydantic import Field, PrivateAttr

from promoteros_pipelines.resources.mailer import one_line

SMS_ENV_PREFIX = "PROMOTEROS_SMS_"
TWILIO_BASE_URL = "https://api.twilio.com"
MAX_BODY = 1600  # Twilio's limit for one message body


class SmsError(RuntimeError):
    """The provider refused or could not be reached; ``retryable`` says if trying later helps."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SmsGateway(ConfigurableResource):
    """Sends SMS via a Twilio-compatible Messages API; unconfigured means SMS is off."""

    base_url: str = Field(default=TWILIO_BASE_URL, description="Provider base URL.")
    account_sid: str = Field(default="", description="Account SID (basic-auth user).")
    auth_token: str = Field(default="", description="Auth token (basic-auth password).")
    from_number: str = Field(default="", description="Sender number, E.164 (+4477...).")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Per-request timeout.")

    _client: httpx.Client | None = PrivateAttr(default=None)

    @classmethod
    def from_env(cls, **overrides: Any) -> "SmsGateway":
        env = {
            "base_url": os.environ.get(f"{SMS_ENV_PREFIX}BASE_URL", TWILIO_BASE_URL),
            "account_sid": os.environ.get(f"{SMS_ENV_PREFIX}ACCOUNT_SID", ""),
            # the token stays an EnvVar (never a literal in the run config) when it is set
            "auth_token": EnvVar(f"{SMS_ENV_PREFIX}AUTH_TOKEN")
            if os.environ.get(f"{SMS_ENV_PREFIX}AUTH_TOKEN")
            else "",
            "from_number": os.environ.get(f"{SMS_ENV_PREFIX}FROM", ""),
        }
        return cls(**{**env, **overrides})

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.from_number)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url.rstrip("/"),
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout_seconds,
                follow_redirects=False,
            )
        return self._client

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        """Send one message; return the provider's message SID.

        Raises:
            SmsError: not configured, refused (4xx: fix the number or credentials) or
                unavailable (network, 429, 5xx: retry later).
        """
        if not self.configured:
            raise SmsError(
                f"SMS is not configured: set {SMS_ENV_PREFIX}ACCOUNT_SID, "
                f"{SMS_ENV_PREFIX}AUTH_TOKEN and {SMS_ENV_PREFIX}FROM.",
                retryable=False,
            )
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        form = {"To": to, "From": self.from_number, "Body": one_line(body)[:MAX_BODY]}
        try:
            response = self._http().post(
                path, data=form, headers={"Idempotency-Key": idempotency_key}
            )
        except httpx.HTTPError as error:
            raise SmsError(f"SMS provider unreachable: {type(error).__name__}", True) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsError(f"SMS provider busy: HTTP {response.status_code}", retryable=True)
        if not response.is_success:
            raise SmsError(
                f"SMS to {to} refused: HTTP {response.status_code} {response.text[:200]}",
                retryable=False,
            )
        return str(response.json().get("sid", ""))

    def teardown_after_execution(self, context: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
