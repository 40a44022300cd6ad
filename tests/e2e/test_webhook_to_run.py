"""End to end: a signed artist.watch posted to the ingress becomes a tracking run that succeeds.

Real processes: `promoteros ingress` and `dagster-daemon run` (sensors, run queue, run
workers) on the test database. Timeouts are safety nets only; nothing asserts on timing.
"""

import time

import pytest
from dagster import DagsterRunStatus
from e2e_stack import webhook_stack

SAFETY_TIMEOUT = 150  # seconds; a cold daemon, code server and run worker on 2 cores


def _event(warehouse, event_id: int) -> dict:
    with warehouse.connect() as conn:
        status, run_id, error = conn.execute(
            "SELECT status, run_id, error FROM promoteros.webhook_events WHERE event_id = %s",
            (event_id,),
        ).fetchone()
    return {"status": status, "run_id": run_id, "error": error}


@pytest.mark.slow
def test_signed_artist_watch_is_tracked_by_a_successful_run(database_url, warehouse, tmp_path):
    with webhook_stack(database_url, tmp_path) as stack:
        response = stack.post(
            "n8n",
            "artist.watch",
            {"artist_name": "Velvet Comets", "platform_ids": {"spotify": "sp-velvet"}},
        )
        assert response.status_code == 202, response.text
        event_id = response.json()["event_id"]

        deadline = time.monotonic() + SAFETY_TIMEOUT
        while _event(warehouse, event_id)["status"] not in ("done", "failed", "dead"):
            stack.check_alive()
            assert time.monotonic() < deadline, f"{_event(warehouse, event_id)}\n{stack.log_tail()}"
            time.sleep(0.5)

        event = _event(warehouse, event_id)
        assert event["status"] == "done", f"{event}\n{stack.log_tail()}"
        run = stack.instance.get_run_by_id(event["run_id"])
        assert run is not None and run.status == DagsterRunStatus.SUCCESS
        assert run.job_name == "track_watched_artists"
        assert run.tags["promoteros/event_ids"] == str(event_id)

    tracked = warehouse.read_frame(
        "SELECT a.name, a.source, i.external_id FROM promoteros.artists a"
        " JOIN promoteros.artist_platform_ids i USING (artist_id)"
    )
    assert tracked.rows() == [("Velvet Comets", "watch", "sp-velvet")]
