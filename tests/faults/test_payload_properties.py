"""Property-based checks of what the ingress accepts (hypothesis): whatever a sender posts, the
payload models answer with a result or a validation error (never a crash), what they accept
survives the trip through the inbox unchanged, run tags stay under ``n8n/``, and a signature
verifies exactly when it was made with the source's secret over the exact bytes."""

import base64
import contextlib
import hashlib
import hmac
import json
import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from promoteros_pipelines.events import (
    EVENT_TYPES,
    TRIGGER_TAG_KEY_PATTERN,
    PipelineTrigger,
    ScraperMetrics,
    parse_event,
)
from promoteros_pipelines.ingress.signatures import (
    NotUtf8,
    SignatureRejected,
    SourceSecret,
    verify,
)

SECRET = "whsec_" + base64.b64encode(b"property-secret-with-32-bytes!!!").decode()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
@FAST
@given(body=json_values)
def test_any_json_is_a_model_or_a_validation_error(event_type: str, body) -> None:
    model = EVENT_TYPES[event_type]
    with contextlib.suppress(ValidationError):
        model.model_validate_json(json.dumps(body))


metric_observations = st.fixed_dictionaries(
    {
        "platform": st.sampled_from(["spotify", "youtube", "tiktok", "instagram", "myspace"]),
        "external_id": st.text(max_size=210),
        "metric": st.sampled_from(["followers", "views", "likes", "plays"]),
        "value": st.floats() | st.integers(min_value=-(2**70), max_value=2**70),
        "observed_at": st.datetimes(timezones=st.none() | st.timezones()).map(
            lambda moment: moment.isoformat()
        ),
    },
    optional={"artist_name": st.text(max_size=310)},
)


@FAST
@given(observations=st.lists(metric_observations, min_size=1, max_size=5))
def test_accepted_observations_survive_the_inbox_unchanged(observations) -> None:
    """What the ingress stores (its dump) is what the sensors read back (``parse_event``)."""
    try:
        event = ScraperMetrics.model_validate_json(json.dumps({"observations": observations}))
    except ValidationError:
        return
    stored = json.loads(event.model_dump_json(exclude_none=True))
    assert parse_event("scraper.metrics", stored) == event
    for observation in event.observations:
        assert math.isfinite(observation.value) and observation.value >= 0
        assert observation.observed_at.tzinfo is not None
        assert observation.external_id != ""
        assert not any(ord(char) < 32 or ord(char) == 127 for char in observation.external_id)


tag_keys = st.one_of(
    st.text(max_size=70),
    st.sampled_from(["dagster/", ".dagster/", "promoteros/", "n8n/", "N8N/"]).flatmap(
        lambda prefix: st.text(max_size=64).map(lambda rest: prefix + rest)
    ),
    st.from_regex(TRIGGER_TAG_KEY_PATTERN, fullmatch=True),
)


@FAST
@given(tags=st.dictionaries(tag_keys, st.text(max_size=310), max_size=4))
def test_trigger_tags_are_only_ever_n8n_labels(tags) -> None:
    try:
        trigger = PipelineTrigger.model_validate({"assets": ["viral_signals"], "tags": tags})
    except ValidationError:
        return
    for key, value in trigger.tags.items():
        assert key.startswith("n8n/") and " " not in key and "/" not in key[4:]
        assert len(key) <= 67 and len(value) <= 300
        assert not any(ord(char) < 32 or ord(char) == 127 for char in value)


def _sign(secret: str, webhook_id: str, stamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@FAST
@given(
    body=st.binary(max_size=200),
    webhook_id=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40
    ),
    flip=st.integers(min_value=0),
)
def test_a_signature_verifies_exactly_over_the_bytes_it_signed(body, webhook_id, flip) -> None:
    secrets = (SourceSecret.parse(SECRET),)
    stamp = str(int(time.time()))
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": stamp,
        "webhook-signature": _sign(SECRET, webhook_id, stamp, body),
    }
    try:
        assert verify(secrets, body, headers, "n8n") == webhook_id
    except NotUtf8:
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
    if body:
        position = flip % len(body)
        tampered = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1 :]
        with pytest.raises(SignatureRejected):
            verify(secrets, tampered, headers, "n8n")
