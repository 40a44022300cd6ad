"""The one-time approval page on a real ingress: works once, refuses forgeries, escapes names,
and its decision goes through the same rules as every channel."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from approvals_support import EXEC, hours_ago, offer

from promoteros_pipelines.defs.approvals.jobs import approval_decision
from promoteros_pipelines.defs.approvals.lifecycle import link_for
from promoteros_pipelines.defs.approvals.store import decisions_of, get_approval
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.approval_page import ApprovalPage
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.report_store.links import APPROVAL_SALT, LinkSigner
from tests.support.sensor_ticks import tick

SECRET = "approval-page-secret-for-tests-0123456789"
HOSTILE = '<script>alert("x")</script>\r\nSet-Cookie: evil=1'


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner(SECRET, APPROVAL_SALT)


@pytest.fixture
def page(people, signer) -> Iterator[httpx.Client]:
    settings = IngressSettings(database_url=people.database_url)
    app = create_app(settings, approvals=ApprovalPage.with_signer(signer, people.database_url))
    with LoopbackServer(app) as server, httpx.Client(base_url=server.base_url) as client:
        yield client


def token_for(people, signer, approval_id, who=EXEC, expires_at=None):
    row = get_approval(people, approval_id)
    link_id, expiry = link_for(people, row, who)
    return signer.sign(link_id, expires_at or expiry)


def csrf_of(response: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', response.text)
    assert match, response.text
    return match.group(1)


def test_a_link_approves_once_through_the_rules(people, signer, page, instance):
    approval_id = offer(people, artist=HOSTILE)
    url = f"/approvals/{token_for(people, signer, approval_id)}"
    shown = page.get(url)
    assert shown.status_code == 200
    assert "<script>" not in shown.text and "&lt;script&gt;" in shown.text
    assert "evil" not in str(shown.headers.get_list("set-cookie"))
    assert shown.headers["cache-control"] == "private, no-store"

    done = page.post(url, data={"csrf": csrf_of(shown), "decision": "approved"})
    assert done.status_code == 200 and "is recorded" in done.text
    assert page.post(url, data={"csrf": csrf_of(shown), "decision": "approved"}).status_code == 410
    assert page.get(url).status_code == 410

    (request,) = tick("approval_decision_events", instance, people).run_requests
    assert approval_decision.execute_in_process(
        run_config=request.run_config, resources={"warehouse": people}
    ).success
    assert get_approval(people, approval_id).status == "approved"
    (decision,) = decisions_of(people, approval_id)
    assert (decision["decided_by"], decision["channel"]) == (EXEC, "link")


def test_a_post_without_the_pages_csrf_token_is_refused(people, signer, page):
    approval_id = offer(people)
    url = f"/approvals/{token_for(people, signer, approval_id)}"
    forged = page.post(url, data={"csrf": "0" * 64, "decision": "approved"})
    assert forged.status_code == 403
    shown = page.get(url)
    page.cookies.clear()  # a cross-site form: no SameSite=Strict cookie
    assert page.post(url, data={"csrf": csrf_of(shown), "decision": "approved"}).status_code == 403
    assert page.get(url).status_code == 200  # still usable: nothing happened


def test_a_rejection_needs_a_reason(people, signer, page):
    approval_id = offer(people)
    url = f"/approvals/{token_for(people, signer, approval_id)}"
    shown = page.get(url)
    refused = page.post(url, data={"csrf": csrf_of(shown), "decision": "rejected"})
    assert refused.status_code == 400 and "needs a reason" in refused.text
    ok = page.post(url, data={"csrf": csrf_of(shown), "decision": "rejected", "reason": "no"})
    assert ok.status_code == 200 and "rejection" in ok.text


def test_tampered_expired_and_decided_links_do_nothing(people, signer, page):
    approval_id = offer(people)
    token = token_for(people, signer, approval_id)
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    assert page.get(f"/approvals/{flipped}").status_code == 403
    other = LinkSigner(SECRET, "promoteros.custom-report-download").sign("x", datetime.now(UTC))
    assert page.get(f"/approvals/{other}").status_code == 403  # a download token is not one

    past = token_for(people, signer, approval_id, expires_at=datetime.now(UTC) - timedelta(1))
    assert page.get(f"/approvals/{past}").status_code == 410

    stale = offer(people, "stale", now=hours_ago(49))
    assert page.get(f"/approvals/{token_for(people, signer, stale)}").status_code == 410
    assert get_approval(people, approval_id).status == "pending"
