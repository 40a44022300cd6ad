"""A burst of artist.watch webhooks: a handful of runs, every artist tracked, every event filed."""

from dagster import DagsterEventType, materialize
from dagster._core.test_utils import create_run_for_test

from promoteros_pipelines.defs.discovery.assets import tracked_artists
from promoteros_pipelines.defs.inbox.store import parse_event_ids
from tests.defs.inbox.test_run_status_sensors import Daemon, queued, report
from tests.support.sensor_ticks import tick


def add_watch_burst(warehouse, count: int) -> list[int]:
    """``count`` watches of distinct artists in one statement, as a user's bulk import sends."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
            " SELECT 'n8n', 'artist.watch', 'watch_' || n,"
            " jsonb_build_object('artist_name', 'Act ' || n,"
            "   'platform_ids', jsonb_build_object('tiktok', 'tt-' || n))"
            " FROM generate_series(1, %s) AS n RETURNING event_id",
            (count,),
        ).fetchall()
    return sorted(row[0] for row in rows)


def test_a_burst_of_watches_becomes_a_handful_of_runs(inbox, instance, warehouse):
    ids = add_watch_burst(warehouse, 1_000)
    invalid = inbox.add("artist.watch", {"platform_ids": {"myspace": "x"}})
    result = tick("artist_watch_events", instance, warehouse, cursor=None)

    assert len(result.run_requests) == 5
    batched = [
        parse_event_ids(request.tags["promoteros/event_ids"]) for request in result.run_requests
    ]
    assert [event for batch in batched for event in batch] == ids  # each once, in order
    assert result.run_requests[0].run_key == f"artist.watch:{ids[0]}-{ids[199]}"
    requests = [
        watch["event_id"]
        for request in result.run_requests
        for watch in request.run_config["ops"]["tracked_artists"]["config"]["watch_requests"]
    ]
    assert requests == ids
    # the invalid one is refused alone, with its reason; its neighbours still run
    assert inbox.row(invalid)["status"] == "dead"
    assert "artist_name" in inbox.row(invalid)["error"]
    assert int(result.cursor) == invalid
    assert tick("artist_watch_events", instance, warehouse, result.cursor).run_requests == []


def test_a_batch_tracks_every_artist_and_files_every_event(instance, warehouse, resources):
    ids = add_watch_burst(warehouse, 300)
    daemon = Daemon(instance, warehouse)
    first = tick("artist_watch_events", instance, warehouse, cursor=None).run_requests[0]

    result = materialize([tracked_artists], run_config=first.run_config, resources=resources)
    assert result.success
    metadata = result.asset_materializations_for_node("tracked_artists")[0].metadata
    assert metadata["artists_created"].value == 200
    tracked = warehouse.read_frame("SELECT count(*) AS n FROM promoteros.artist_platform_ids")
    assert tracked["n"][0] == 200

    run = create_run_for_test(instance, job_name="track_watched_artists", tags=first.tags)
    queued(instance, warehouse, run)
    report(instance, run, DagsterEventType.RUN_START)
    report(instance, run, DagsterEventType.RUN_SUCCESS)
    daemon.tick_all()
    statuses = warehouse.read_frame(
        "SELECT status, run_id, count(*) AS n FROM promoteros.webhook_events"
        " GROUP BY status, run_id ORDER BY status"
    ).rows()
    assert statuses == [("done", run.run_id, 200), ("pending", None, 100)]
    done = warehouse.read_frame(
        "SELECT event_id FROM promoteros.webhook_events WHERE status = 'done' ORDER BY 1"
    )
    assert done["event_id"].to_list() == ids[:200]
