"""Schema-driven fuzzing of the ingress (schemathesis) from its own ``/openapi.json``: every
route, every event type, bodies generated from the schemas, each webhook validly signed by
its source. What must hold: no 5xx, every answer as documented (status, content type, body
schema), and nothing stored that the sensors could not read back."""

import base64
import json
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from promoteros_pipelines.events import parse_event
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.approval_page import ApprovalPage
from promoteros_pipelines.ingress.config import KNOWN_SOURCES, IngressSettings
from promoteros_pipelines.ingress.openapi import openapi_document
from promoteros_pipelines.ingress.report_downloads import ReportDownloads
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.report_store.links import APPROVAL_SALT, LinkSigner
from promoteros_pipelines.report_store.store import LocalReportStore
from tests.support.webhooks import signed_headers

pytestmark = pytest.mark.chaos

SECRETS = {
    source: "whsec_" + base64.b64encode(f"{source}-fuzz-secret".ljust(32, "!").encode()).decode()
    for source in KNOWN_SOURCES
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
schema = schemathesis.openapi.from_dict(openapi_document(frozenset(KNOWN_SOURCES)))


@pytest.fixture
def live_ingress(database_url: str, tmp_path) -> Iterator[tuple[str, str, list[int]]]:
    settings_ = IngressSettings(database_url=database_url).with_secrets(SECRETS)
    downloads = ReportDownloads(
        signer=LinkSigner("fuzz-link-secret-" + "x" * 32), store=LocalReportStore(tmp_path)
    )
    approvals = ApprovalPage.with_signer(
        LinkSigner("fuzz-link-secret-" + "x" * 32, salt=APPROVAL_SALT), database_url
    )
    accepted: list[int] = []
    with LoopbackServer(create_app(settings_, downloads, approvals)) as server:
        yield server.base_url, database_url, accepted
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT event_id, event_type, payload FROM promoteros.webhook_events"
        ).fetchall()
    assert sorted(row[0] for row in rows) == sorted(accepted), "a row without a 202, or reverse"
    for _, event_type, payload in rows:
        parse_event(event_type, payload)  # stored garbage would fail here


def _body_bytes(body) -> bytes:
    """The exact bytes to sign: schemathesis also generates bodies that are not JSON."""
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_route_answers_as_documented(case, live_ingress) -> None:
    base_url, _, accepted = live_ingress
    headers: dict[str, str] = {}
    content = None
    if case.method == "POST" and case.operation.method.upper() == "POST":
        content = _body_bytes(case.body)
        # a source the ingress does not know gets some secret: its answer must still be a 404
        secret = SECRETS.get(str((case.path_parameters or {}).get("source")), SECRETS["n8n"])
        headers = signed_headers(secret, content, webhook_id=f"fuzz-{uuid.uuid4().hex}")
    response = httpx.request(
        case.method, base_url + case.formatted_path, content=content, headers=headers, timeout=30
    )
    case.validate_response(response, checks=CHECKS)
    if response.status_code == 202:
        accepted.append(response.json()["event_id"])
