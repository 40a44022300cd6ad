"""Inbox sensors: cursor, batching, one run per rare event, waiting types, replays."""

import threading

import psycopg

from promoteros_pipelines.definitions import defs
from promoteros_pipelines.defs.inbox.store import (
    InboxEvent,
    format_event_ids,
    inbox_watermark,
    parse_event_ids,
    replay_event,
)
from promoteros_pipelines.defs.metrics.sensors import plan_batches
from promoteros_pipelines.defs.partitions import viral_days
from tests.support.inbox import observation
from tests.support.sensor_ticks import tick

WATCH = {"artist_name": "Nova Lights", "platform_ids": {"spotify": "sp-nova"}}


def test_cursor_resumes_after_a_restart_without_losing_or_repeating(inbox, instance, warehouse):
    first = [inbox.add("artist.watch", WATCH) for _ in range(3)]
    before = tick("artist_watch_events", instance, warehouse, cursor=None)
    assert [r.run_key for r in before.run_requests] == [f"artist.watch:{first[0]}-{first[-1]}"]

    later = [inbox.add("artist.watch", WATCH) for _ in range(2)]
    # A restarted daemon evaluates with the cursor Dagster stored with the last tick.
    after = tick("artist_watch_events", instance, warehouse, cursor=before.cursor)
    assert [r.run_key for r in after.run_requests] == [f"artist.watch:{later[0]}-{later[-1]}"]

    # A tick whose cursor was never stored is evaluated again: same run keys, which Dagster
    # skips as already launched, and nothing beyond them.
    again = tick("artist_watch_events", instance, warehouse, cursor=before.cursor)
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in after.run_requests]

    idle = tick("artist_watch_events", instance, warehouse, cursor=after.cursor)
    assert idle.run_requests == []
    assert f"after event {later[-1]}" in idle.skip_message


def test_an_insert_that_commits_late_is_not_skipped(inbox, instance, warehouse, database_url):
    """Ids are drawn before commit: id N may appear after N+1. The cursor must wait for it."""
    ready, release = threading.Event(), threading.Event()
    late: list[int] = []

    def slow_ingress() -> None:
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                "INSERT INTO promoteros.webhook_events (source, event_type, webhook_id, payload)"
                " VALUES ('n8n', 'artist.watch', 'late-one', %s::jsonb) RETURNING event_id",
                ('{"artist_name": "Late Act"}',),
            ).fetchone()
            late.append(row[0])
            ready.set()
            release.wait(10)

    writer = threading.Thread(target=slow_ingress)
    writer.start()
    ready.wait(10)
    quick = inbox.add("artist.watch", WATCH)
    assert quick > late[0]
    blocked = tick("artist_watch_events", instance, warehouse, cursor=None)
    assert blocked.run_requests == [] and "locked" in blocked.skip_message
    release.set()
    writer.join()
    resumed = tick("artist_watch_events", instance, warehouse, cursor=blocked.cursor)
    keys = [r.run_key for r in resumed.run_requests]
    assert keys == [f"artist.watch:{late[0]}-{quick}"]


def test_a_burst_of_scraper_events_becomes_a_handful_of_runs(inbox, instance, warehouse):
    ids = inbox.add_scraper_burst(10_000)
    result = tick("scraper_metrics_events", instance, warehouse, cursor=None)
    assert len(result.run_requests) == 20
    batched = [
        i
        for r in result.run_requests
        for i in r.run_config["ops"]["scraper_metrics"]["config"]["event_ids"]
    ]
    assert batched == ids  # every event once, in order
    first = result.run_requests[0]
    assert first.run_key == f"scraper.metrics:{ids[0]}-{ids[499]}"
    assert first.job_name in (None, "ingest_scraper_metrics")
    assert parse_event_ids(first.tags["promoteros/event_ids"]) == ids[:500]
    assert int(result.cursor) == ids[-1]
    assert tick("scraper_metrics_events", instance, warehouse, result.cursor).run_requests == []


def test_batches_respect_the_observation_cap():
    events = [InboxEvent(i, "scraper.metrics", "pending", 0, None, 90_000) for i in range(1, 6)]
    sizes = [len(batch) for batch in plan_batches(events)]
    assert sizes == [2, 2, 1]  # 180k each; a third would pass 200k
    lone = [InboxEvent(1, "scraper.metrics", "pending", 0, None, 250_000)]
    assert [len(b) for b in plan_batches(lone)] == [1]  # oversized runs alone, never dropped


def test_watches_share_a_run_with_their_payloads_as_config(inbox, instance, warehouse):
    nova = inbox.add("artist.watch", WATCH)
    other = inbox.add("artist.watch", {"artist_name": "Quiet Harbour", "platform_ids": {}})
    result = tick("artist_watch_events", instance, warehouse, cursor=None)
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    assert request.job_name == "track_watched_artists"
    assert request.run_config == {
        "ops": {
            "tracked_artists": {
                "config": {
                    "watch_requests": [
                        {
                            "event_id": nova,
                            "artist_name": "Nova Lights",
                            "platform_ids": {"spotify": "sp-nova"},
                        },
                        {"event_id": other, "artist_name": "Quiet Harbour", "platform_ids": {}},
                    ]
                }
            }
        }
    }
    assert parse_event_ids(request.tags["promoteros/event_ids"]) == [nova, other]


def test_an_invalid_payload_is_dead_with_the_reason_not_retried(inbox, instance, warehouse):
    bad = inbox.add("artist.watch", {"platform_ids": {"myspace": "x"}})
    result = tick("artist_watch_events", instance, warehouse, cursor=None)
    assert result.run_requests == []
    row = inbox.row(bad)
    assert row["status"] == "dead" and "artist_name" in row["error"]
    assert tick("artist_watch_events", instance, warehouse, result.cursor).run_requests == []


def test_events_without_a_job_wait_with_a_clear_reason(inbox, instance, warehouse):
    # every type has a job today; a new type's sensor parks its events until one exists
    from dagster import build_sensor_context

    from promoteros_pipelines.defs.inbox.single_events import (
        EventRoute,
        build_single_event_sensor,
    )

    parked = build_single_event_sensor(EventRoute("approval.decision"), None)
    decision = inbox.add(
        "approval.decision",
        {"approval_id": "a1", "decision": "approved", "decided_by": "Mia"},
        source="ui",
    )
    context = build_sensor_context(
        instance=instance, cursor=None, resources={"warehouse": warehouse}
    )
    result = parked.evaluate_tick(context)
    assert not result.run_requests
    assert "no job handles approval.decision yet" in result.skip_message
    row = inbox.row(decision)
    assert row["status"] == "waiting"
    assert row["error"].startswith("no job handles approval.decision yet")
    assert row["attempts"] == 0


def test_a_replayed_dead_event_runs_again_under_a_new_run_key(inbox, instance, warehouse):
    event = inbox.add("artist.watch", WATCH)
    first = tick("artist_watch_events", instance, warehouse, cursor=None)
    assert [r.run_key for r in first.run_requests] == [f"artist.watch:{event}"]
    inbox.set(event, status="dead", attempts=3, error="boom", run_id="r3")

    assert replay_event(warehouse, event) == 3
    assert inbox.row(event)["status"] == "pending"
    replayed = tick("artist_watch_events", instance, warehouse, cursor=first.cursor)
    assert [r.run_key for r in replayed.run_requests] == [f"artist.watch:{event}:attempt-4"]
    assert replayed.cursor == first.cursor


def test_a_replayed_scraper_event_runs_alone(inbox, instance, warehouse):
    ids = inbox.add_scraper_burst(3)
    first = tick("scraper_metrics_events", instance, warehouse, cursor=None)
    inbox.set(ids[1], status="dead", attempts=1)
    replay_event(warehouse, ids[1])
    again = tick("scraper_metrics_events", instance, warehouse, cursor=first.cursor)
    assert [r.run_key for r in again.run_requests] == [
        f"scraper.metrics:{ids[1]}-{ids[1]}:attempt-2"
    ]


def test_pipeline_trigger_runs_allow_listed_assets_and_parks_unknown_ones(
    inbox, instance, warehouse, monkeypatch
):
    # allow-listed by the deployment, not defined by this code location (yet)
    monkeypatch.setenv("PROMOTEROS_PIPELINE_TRIGGER_ALLOWLIST", "tour_forecasts")
    ok = inbox.add("pipeline.trigger", {"assets": ["tracked_artists"]})
    no_partition = inbox.add("pipeline.trigger", {"assets": ["platform_metrics"]})
    unknown = inbox.add("pipeline.trigger", {"assets": ["tour_forecasts"]})
    refused = inbox.add("pipeline.trigger", {"assets": ["organisations"]})
    result = tick("pipeline_trigger_events", instance, warehouse, cursor=None)
    assert [r.run_key for r in result.run_requests] == [f"pipeline.trigger:{ok}"]
    assert [k.to_user_string() for k in result.run_requests[0].asset_selection] == [
        "tracked_artists"
    ]
    # the smallest named job holding the asset: no generated job names in the Jobs list
    assert result.run_requests[0].job_name == "track_watched_artists"
    assert "name a partition_key" in inbox.row(no_partition)["error"]
    assert inbox.row(unknown)["status"] == "waiting"
    assert "does not define tour_forecasts" in inbox.row(unknown)["error"]
    assert inbox.row(refused)["status"] == "dead"
    assert "not allow-listed: organisations" in inbox.row(refused)["error"]


def test_a_partitioned_trigger_runs_in_the_named_job_of_its_partitioning(
    inbox, instance, warehouse
):
    daily = inbox.add(
        "pipeline.trigger", {"assets": ["daily_artist_metrics"], "partition_key": "2025-06-01"}
    )
    result = tick("pipeline_trigger_events", instance, warehouse, cursor=None)
    [request] = result.run_requests
    assert request.run_key == f"pipeline.trigger:{daily}"
    assert request.job_name == "daily_analytics"
    assert request.partition_key == "2025-06-01"
    # no generated pipeline_trigger__* jobs: a trigger runs in the smallest named job
    assert not [j for j in defs.resolve_all_job_defs() if j.name.startswith("pipeline_trigger")]


def test_a_viral_trigger_without_a_partition_runs_todays_live_round(inbox, instance, warehouse):
    inbox.add("pipeline.trigger", {"assets": ["viral_signals", "viral_events"]})
    [request] = tick("pipeline_trigger_events", instance, warehouse, cursor=None).run_requests
    assert request.job_name == "viral_detection"
    today = viral_days.get_last_partition_key()
    assert request.partition_key == today and today >= "2025-01-01"


def test_event_id_tags_round_trip():
    ids = [1, 2, 3, 7, 9, 10]
    assert format_event_ids(ids) == "1-3,7,9-10"
    assert parse_event_ids(format_event_ids(ids)) == ids
    assert parse_event_ids(None) == []


def test_the_watermark_is_the_highest_committed_id(inbox, warehouse):
    assert inbox_watermark(warehouse) == 0
    last = inbox.add("artist.watch", WATCH)
    assert inbox_watermark(warehouse) == last
    inbox.add("scraper.metrics", {"observations": [observation()]})
    assert inbox_watermark(warehouse) == last + 1
