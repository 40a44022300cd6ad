"""Every template in integrations/n8n/templates/ executed in a real n8n, against the ingress.

Asserted on what ends up stored: the events in ``promoteros.webhook_events`` (and the run
each becomes, from the sensor that reads them), the outbox's delivery rows, and n8n's answers.
Run with ``make test-n8n``.
"""

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg
import pytest
from dagster import DagsterRunStatus, instance_for_test
from n8n_stack import DEPLOYED_WATCH_FORM, OBSERVATIONS, Key, Stack, expected_observation

from promoteros_pipelines.resources.notifier import Notifier
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.e2e.e2e_stack import webhook_stack
from tests.support.databases import throwaway_database
from tests.support.sensor_ticks import tick
from tests.support.webhooks import signed_headers

pytestmark = pytest.mark.n8n
SAFETY_TIMEOUT = 60  # seconds for n8n to finish a workflow a form or webhook started


def stored(stack: Stack, event_type: str) -> list[dict[str, Any]]:
    with stack.warehouse.connect() as conn:
        rows = conn.execute(
            "SELECT event_id, source, webhook_id, payload FROM promoteros.webhook_events"
            " WHERE event_type = %s ORDER BY webhook_id",
            (event_type,),
        ).fetchall()
    return [
        dict(zip(("event_id", "source", "webhook_id", "payload"), row, strict=True)) for row in rows
    ]


def wait_stored(stack: Stack, event_type: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while len(rows := stored(stack, event_type)) < count:
        assert time.monotonic() < deadline, f"{len(rows)} {event_type} events, wanted {count}"
        time.sleep(0.25)
    return rows


def run_requests(stack: Stack, sensor: str) -> list:
    with instance_for_test() as instance:
        return tick(sensor, instance, stack.warehouse).run_requests


def submit_form(stack: Stack, path: str, values: list[str]) -> httpx.Response:
    """What the browser posts for the form: one multipart field per form field, in order."""
    fields = {f"field-{i}": (None, value) for i, value in enumerate(values)}
    return httpx.post(f"{stack.n8n.url}/form/{path}", files=fields, timeout=30)


def test_scraper_results_arrive_in_signed_batches_and_a_retry_is_not_a_second_event(stack):
    execution = stack.n8n.execute("testScraperCaller")
    assert execution["status"] == "success"

    rows = stored(stack, "scraper.metrics")
    assert [len(row["payload"]["observations"]) for row in rows] == [5_000, OBSERVATIONS - 5_000]
    sent = [obs for row in rows for obs in row["payload"]["observations"]]
    assert sent == [expected_observation(i) for i in range(OBSERVATIONS)]
    ids = [row["webhook_id"] for row in rows]
    assert all(re.fullmatch(r"n8n-promoterosScraper-\d+-[01]", i) for i in ids), ids
    assert {row["source"] for row in rows} == {"n8n"}

    # Each batch's first answer was lost after the ingress stored it; n8n retried with the
    # same webhook-id and got the ingress's 200 (duplicate): one event per batch, not two.
    exchanges = sorted(
        (e.webhook_id, e.ingress_status, e.answered_status) for e in stack.lossy.exchanges
    )
    assert exchanges == sorted([(i, 202, 503) for i in ids] + [(i, 200, 200) for i in ids])

    (run,) = run_requests(stack, "scraper_metrics_events")
    assert run.run_config["ops"]["scraper_metrics"]["config"]["event_ids"] == sorted(
        row["event_id"] for row in rows
    )


def test_a_form_submission_becomes_an_artist_watch_and_a_tracking_run(stack):
    answer = submit_form(
        stack,
        "promoteros-watch",
        [
            "  Velvet Comets ",
            "sp-velvet",
            "",
            "velvetcomets",
            "",
            "",
            "indie pop, , synthwave",
            "Leeds",
            "Sold out two nights at Brudenell",
            "ana@promoter.example",
        ],
    )
    assert answer.status_code == 200, answer.text[:500]

    (event,) = wait_stored(stack, "artist.watch", 1)
    assert event["payload"] == {
        "artist_name": "Velvet Comets",
        "platform_ids": {"spotify": "sp-velvet", "tiktok": "velvetcomets"},
        "genres": ["indie pop", "synthwave"],
        "home_city": "Leeds",
        "reason": "Sold out two nights at Brudenell",
        "requested_by": "ana@promoter.example",
    }
    assert re.fullmatch(r"n8n-promoterosWatch-\d+-0", event["webhook_id"])

    (run,) = run_requests(stack, "artist_watch_events")
    assert run.job_name == "track_watched_artists"
    watch = run.run_config["ops"]["tracked_artists"]["config"]["watch_requests"]
    assert watch == [
        {
            "event_id": event["event_id"],
            "artist_name": "Velvet Comets",
            "platform_ids": {"spotify": "sp-velvet", "tiktok": "velvetcomets"},
            "genres": ["indie pop", "synthwave"],
        }
    ]


def test_a_report_form_becomes_a_report_request_and_a_custom_report_run(stack):
    answer = submit_form(
        stack,
        "promoteros-report",
        [
            "northern-live",
            "2026-10-01",
            "2026-10-31",
            "xlsx",
            "ops@promoter.example",
            "followers, views",
            "Velvet Comets\nNova Lights, Jr.\n",
            "",
            "October watch list",
        ],
    )
    assert answer.status_code == 200, answer.text[:500]

    (event,) = wait_stored(stack, "report.request", 1)
    assert event["payload"] == {
        "organisation": "northern-live",
        "date_from": "2026-10-01",
        "date_to": "2026-10-31",
        "metrics": ["followers", "views"],
        "artists": ["Velvet Comets", "Nova Lights, Jr."],
        "venues": [],
        "format": "xlsx",
        "email": "ops@promoter.example",
        "title": "October watch list",
    }
    (run,) = run_requests(stack, "report_request_events")
    assert run.job_name == "custom_report"
    assert run.run_config["ops"]["build_custom_report"]["config"]["event_id"] == event["event_id"]


def test_pipeline_trigger_runs_the_named_assets(stack):
    execution = stack.n8n.execute("promoterosTrigger")
    assert execution["status"] == "success"

    (event,) = stored(stack, "pipeline.trigger")
    assert event["payload"] == {"assets": ["trending_artists", "tracked_artists"], "tags": {}}
    (run,) = run_requests(stack, "pipeline_trigger_events")
    # The template still names the asset by its old key; the sensor maps it to the current one.
    assert {key.to_user_string() for key in run.asset_selection} == {
        "trending_candidates",
        "tracked_artists",
    }


def slack_click(action: str, approval_id: str, action_ts: str = "1795990000.123456") -> bytes:
    """The form body Slack posts when someone clicks a block-action button."""
    payload = {
        "type": "block_actions",
        "user": {"id": "U024BE7LH", "username": "ana.booker", "name": "ana.booker"},
        "actions": [
            {"action_id": action, "value": approval_id, "type": "button", "action_ts": action_ts}
        ],
        "response_url": "https://hooks.slack.com/actions/T0/1/abc",
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def slack_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's signature, per Slack's docs: v0=hex(HMAC-SHA256(secret, "v0:{ts}:{body}"))."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": f"v0={digest}",
    }


def test_a_slack_click_becomes_an_approval_decision_and_forged_clicks_are_refused(stack):
    url = f"{stack.n8n.url}/webhook/promoteros-slack-approvals"
    body = slack_click("approve", "offer-42")
    forged = slack_click("approve", "offer-43")
    refused = [
        # signed for another body
        httpx.post(
            url, content=forged, headers=slack_headers(stack.keys.slack.text, body), timeout=30
        ),
        # signed with another secret
        httpx.post(
            url, content=forged, headers=slack_headers("not-the-secret", forged), timeout=30
        ),
        # an old request replayed
        httpx.post(
            url,
            content=forged,
            timeout=30,
            headers=slack_headers(stack.keys.slack.text, forged, int(time.time()) - 600),
        ),
    ]
    assert [r.status_code for r in refused] == [401, 401, 401]

    answer = httpx.post(
        url, content=body, headers=slack_headers(stack.keys.slack.text, body), timeout=30
    )
    assert answer.status_code == 200, answer.text

    (event,) = wait_stored(stack, "approval.decision", 1)
    assert event["payload"] == {
        "approval_id": "offer-42",
        "decision": "approved",
        "decided_by": "ana.booker",
        "decided_at": "2026-11-29T22:06:40.123000Z",  # Slack's action_ts, in UTC
    }


def test_n8n_accepts_the_outbox_signed_deliveries_and_refuses_tampered_ones(stack):
    url = f"{stack.n8n.url}/webhook/promoteros"
    outbox = Notifier(
        warehouse=stack.warehouse,
        targets=f"n8n={url}",
        signing_secret=stack.keys.outbound.whsec,
    )
    outbox.enqueue("n8n", "alert.viral", {"artist": "Velvet Comets", "score": 91.5}, "alert-7-n8n")
    report = outbox.deliver_pending()
    assert report.delivered and not (report.dead or report.retried)

    impostor = Notifier(
        warehouse=stack.warehouse,
        targets=f"n8n={url}",
        signing_secret=Key.new().whsec,
    )
    impostor.enqueue("n8n", "alert.viral", {"artist": "Nobody"}, "alert-8-n8n")
    assert impostor.deliver_pending().dead

    rows = {row["idempotency_key"]: row for row in outbox.list_deliveries()}
    assert (rows["alert-7-n8n"]["status"], rows["alert-7-n8n"]["last_status_code"]) == (
        "delivered",
        200,
    )
    assert (rows["alert-8-n8n"]["status"], rows["alert-8-n8n"]["last_status_code"]) == ("dead", 401)

    # by hand (a signer that is not ours): accepted as sent, refused once tampered or stale
    body = json.dumps(
        {
            "type": "alert.viral",
            "timestamp": datetime.now(UTC).isoformat(),
            "data": {"artist": "Zoë Sky", "score": 1.0},
        }
    ).encode()
    headers = signed_headers(stack.keys.outbound.whsec, body, webhook_id="msg-hand-1")
    accepted = httpx.post(url, content=body, headers=headers, timeout=30)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"status": "accepted", "webhook_id": "msg-hand-1"}
    tampered = httpx.post(url, content=body.replace(b"1.0", b"9.0"), headers=headers, timeout=30)
    stale = signed_headers(stack.keys.outbound.whsec, body, timestamp=int(time.time()) - 600)
    unsigned = {k: v for k, v in headers.items() if k != "webhook-signature"}
    answers = [
        tampered,
        httpx.post(url, content=body, headers=stale, timeout=30),
        httpx.post(url, content=body, headers=unsigned, timeout=30),
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]

    # n8n answered before acting; the two accepted deliveries then ran *Your action here*
    # (with the event and its webhook-id), the four refused ones stopped at *Refuse*
    acted = wait_executions(stack, "promoterosVerify", 6)
    assert sorted(acted) == [False, False, False, False, True, True]


def wait_executions(stack: Stack, workflow_id: str, count: int) -> list[bool]:
    """Whether each finished execution of ``workflow_id`` reached *Your action here*; fails
    on any execution that did not succeed."""
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while True:
        with psycopg.connect(stack.n8n.database_url) as conn:
            rows = conn.execute(
                "SELECT e.status, d.data FROM execution_entity e"
                ' JOIN execution_data d ON d."executionId" = e.id'
                ' WHERE e."workflowId" = %s AND e.finished',
                (workflow_id,),
            ).fetchall()
        if len(rows) >= count:
            break
        assert time.monotonic() < deadline, f"{len(rows)} executions, wanted {count}"
        time.sleep(0.25)
    assert {status for status, _ in rows} == {"success"}
    return ['"Your action here"' in data for _, data in rows]


@pytest.mark.slow
def test_a_form_submission_reaches_a_successful_tracking_run_as_deployed(
    stack, server_url, template_database, tmp_path
):
    """The whole way, as a user meets it: n8n form -> `promoteros ingress` -> the Dagster
    daemon's sensor -> a run that tracks the artist."""
    with (
        throwaway_database(server_url, "n8n_deployed", template_database) as url,
        webhook_stack(
            url, tmp_path, secret=stack.keys.inbound.whsec, port=stack.deployed_port
        ) as deployed,
    ):
        answer = submit_form(stack, DEPLOYED_WATCH_FORM, ["Velvet Comets", "sp-velvet"])
        assert answer.status_code == 200, answer.text[:500]

        warehouse = PostgresWarehouse(database_url=url)
        deadline = time.monotonic() + DEPLOYED_TIMEOUT
        while (event := inbox_status(warehouse))[0] not in ("done", "failed", "dead"):
            deployed.check_alive()
            assert time.monotonic() < deadline, f"{event}\n{deployed.log_tail()}"
            time.sleep(0.5)
        status, run_id = event
        assert status == "done", deployed.log_tail()
        run = deployed.instance.get_run_by_id(run_id)
        assert run is not None and run.status == DagsterRunStatus.SUCCESS
        assert run.job_name == "track_watched_artists"

        tracked = warehouse.read_frame(
            "SELECT a.name, a.source, i.platform, i.external_id FROM promoteros.artists a"
            " JOIN promoteros.artist_platform_ids i USING (artist_id)"
        )
        assert tracked.rows() == [("Velvet Comets", "watch", "spotify", "sp-velvet")]


DEPLOYED_TIMEOUT = 180  # seconds; a cold daemon, code server and run worker on 2 busy cores


def inbox_status(warehouse: PostgresWarehouse) -> tuple[str | None, str | None]:
    """(status, run id) of the one artist.watch event, (None, None) before it arrives."""
    with warehouse.connect() as conn:
        row = conn.execute(
            "SELECT status, run_id FROM promoteros.webhook_events WHERE event_type = 'artist.watch'"
        ).fetchone()
    return (row[0], row[1]) if row else (None, None)
