"""The Dagster UI behind sign-in, as served by `promoteros dev`: the GraphQL API and its
WebSocket over HTTP, then the pages in a real Chromium (Debian's, driven by Playwright).

One UI process for the module, on a throwaway database with one person per role.
"""

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from promoteros_pipelines.runtime.ui_auth import user_store
from tests.support.databases import throwaway_database
from tests.support.ui_server import (
    CHROMIUM,
    SignedInUi,
    chromium_missing,
    password_of,
    signed_in_ui,
)

pytestmark = pytest.mark.slow
needs_chromium = pytest.mark.skipif(chromium_missing() is not None, reason=chromium_missing() or "")
# set to a directory to keep screenshots of the sign-in page and a Viewer's asset graph
SCREENSHOTS_ENV = "PROMOTEROS_UI_SCREENSHOTS"
LAUNCH = (
    'mutation { launchRun(executionParams: {selector: {repositoryLocationName: "nowhere", '
    'repositoryName: "nowhere", jobName: "nothing"}}) { __typename } }'
)
WIPE = "mutation { wipeAssets(assetPartitionRanges: []) { __typename } }"
RELOAD = 'mutation { reloadRepositoryLocation(repositoryLocationName: "nowhere") { __typename } }'


@pytest.fixture(scope="module")
def ui(server_url, template_database, tmp_path_factory) -> Iterator[SignedInUi]:
    workdir = tmp_path_factory.mktemp("ui")
    with (
        throwaway_database(server_url, "promoteros_ui", template_database) as url,
        signed_in_ui(url, workdir) as running,
    ):
        yield running


def signed_in(ui: SignedInUi, username: str) -> httpx.Client:
    client = httpx.Client(base_url=ui.url, timeout=30)
    form = client.get("/auth/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form[:500]
    answer = client.post(
        "/auth/process",
        data={"username": username, "password": password_of(username), "csrf_token": token[1]},
    )
    assert answer.status_code == 302 and answer.headers["location"] == "/", answer.headers
    return client


def test_signed_out_the_api_its_websocket_and_the_pages_are_refused(ui):
    assert httpx.post(f"{ui.url}/graphql", json={"query": "{ version }"}).status_code == 401
    page = httpx.get(f"{ui.url}/assets")
    assert page.status_code == 302 and page.headers["location"].startswith("/auth/login")
    websocket = ui.url.replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        connect(websocket, subprotocols=["graphql-ws"], open_timeout=30)  # type: ignore[list-item]
    assert refused.value.response.status_code == 403
    # the same socket opens for someone signed in
    cookies = "; ".join(f"{k}={v}" for k, v in signed_in(ui, "vera.viewer").cookies.items())
    with connect(
        websocket,
        subprotocols=["graphql-ws"],  # type: ignore[list-item]
        additional_headers={"Cookie": cookies},
        open_timeout=30,
    ) as opened:
        assert opened.subprotocol == "graphql-ws"


def test_a_wrong_password_does_not_sign_in(ui):
    client = httpx.Client(base_url=ui.url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/auth/login").text)
    assert token
    answer = client.post(
        "/auth/process",
        data={"username": "ada.admin", "password": "guess-guess-guess", "csrf_token": token[1]},
    )
    assert "Invalid+credentials" in answer.headers["location"]
    assert client.post("/graphql", json={"query": "{ version }"}).status_code == 401


@pytest.mark.parametrize(
    ("username", "mutation", "refused_because"),
    [
        ("vera.viewer", LAUNCH, "launchRun needs the Operator role; vera.viewer is a Viewer"),
        ("otto.operator", LAUNCH, None),
        (
            "otto.operator",
            WIPE,
            "wipeAssets needs the Developer role; otto.operator is an Operator",
        ),
        ("otto.operator", RELOAD, "reloadRepositoryLocation needs the Developer role"),
        ("dana.developer", WIPE, None),
        ("dana.developer", RELOAD, None),
    ],
)
def test_each_role_on_the_graphql_api(ui, username, mutation, refused_because):
    answer = signed_in(ui, username).post("/graphql", json={"query": mutation}).json()
    text = json.dumps(answer)
    if refused_because:
        assert f"Access denied: {refused_because}" in text, text
    else:
        assert "Access denied" not in text and "Unauthorized" not in text, text
        assert "data" in answer, text


def test_a_removed_person_is_signed_out_of_an_open_session(ui):
    with user_store(ui.database_url) as store:
        store.add("rita.leaving", password_of("rita.leaving"), "Operator")
    client = signed_in(ui, "rita.leaving")
    assert client.post("/graphql", json={"query": "{ version }"}).status_code == 200
    with user_store(ui.database_url) as store:
        store.remove("rita.leaving")
    statuses = []
    for _ in range(60):  # authkit caches a person's session version for up to 10 s
        statuses.append(client.post("/graphql", json={"query": "{ version }"}).status_code)
        if statuses[-1] != 200:
            break
        time.sleep(1)
    assert statuses[-1] == 401, statuses


def test_the_user_menu_names_our_role(ui):
    page = signed_in(ui, "otto.operator").get("/asset-groups").text
    assert '"role": "Operator"' in page and "LAUNCHER" not in page


def _browser_page(playwright, ui: SignedInUi, username: str | None):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(90_000)
    page.goto(f"{ui.url}/asset-groups")
    assert "/auth/login" in page.url  # signed out: the sign-in page, not the UI
    if username:
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password_of(username))
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/asset-groups"))
    return chromium, page


def _materialize_button(page):
    """The asset page's Materialize button (its accessible name carries its icon's name)."""
    return page.locator("button").filter(has_text=re.compile(r"^\s*Materialize\s*$"))


def _dismiss_welcome(page) -> None:
    """Dagster's "Join the community" dialog, shown once per browser; it would cover the page."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=10_000)
    except Exception:
        return
    skip.click()
    skip.wait_for(state="hidden")


@pytest.mark.browser
@needs_chromium
def test_a_viewer_opens_the_asset_graph_but_may_not_materialize(ui):
    from playwright.sync_api import expect, sync_playwright

    shots = os.environ.get(SCREENSHOTS_ENV)
    with sync_playwright() as playwright:
        chromium, page = _browser_page(playwright, ui, None)
        if shots:
            page.screenshot(path=str(Path(shots) / "sign-in.png"))
        page.close()
        chromium.close()
        chromium, page = _browser_page(playwright, ui, "vera.viewer")
        try:
            materialize_all = page.get_by_role("button", name=re.compile("Materialize all"))
            expect(materialize_all).to_be_visible()
            expect(page.get_by_text("reports", exact=True).first).to_be_visible()  # the graph
            _dismiss_welcome(page)
            if shots:
                page.screenshot(path=str(Path(shots) / "asset-graph-viewer.png"))
            page.goto(f"{ui.url}/assets/alert_preferences")
            materialize = _materialize_button(page)
            expect(materialize).to_be_visible()
            materialize.click()
            page.get_by_role("button", name="Confirm").click()
            # refused before Dagster sees it: the UI shows why, and no run exists
            expect(page.get_by_text(re.compile("Access denied: launch")).first).to_be_visible()
            if shots:
                page.screenshot(path=str(Path(shots) / "materialize-refused-viewer.png"))
            runs = "{ runsOrError { ... on Runs { results { runId } } } }"
            after = page.request.post(f"{ui.url}/graphql", data={"query": runs}).json()
            assert after["data"]["runsOrError"]["results"] == []
        finally:
            chromium.close()


@pytest.mark.browser
@needs_chromium
def test_an_operator_launches_a_run_from_the_asset_page(ui):
    from playwright.sync_api import expect, sync_playwright

    runs = "{ runsOrError { ... on Runs { results { runId status } } } }"
    with sync_playwright() as playwright:
        chromium, page = _browser_page(playwright, ui, "otto.operator")
        try:
            before = page.request.post(f"{ui.url}/graphql", data={"query": runs}).json()
            assert before["data"]["runsOrError"]["results"] == []
            page.goto(f"{ui.url}/assets/alert_preferences")
            _dismiss_welcome(page)
            materialize = _materialize_button(page)
            expect(materialize).to_be_enabled()
            materialize.click()
            # alert_preferences reads recipients, never materialised here: Dagster asks first
            page.get_by_role("button", name="Confirm").click()
            # no daemon here: the queued run coordinator keeps the launched run QUEUED.
            # Dagster first stores the run NOT_STARTED, then submits it to the queue, so a
            # slow machine can read it in between: wait until it has left NOT_STARTED.
            statuses: list[str] = []
            for _ in range(60):
                after = page.request.post(f"{ui.url}/graphql", data={"query": runs}).json()
                statuses = [r["status"] for r in after["data"]["runsOrError"]["results"]]
                if statuses and "NOT_STARTED" not in statuses:
                    break
                page.wait_for_timeout(1_000)
            assert statuses == ["QUEUED"]
        finally:
            chromium.close()
