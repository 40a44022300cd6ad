"""``pipeline.trigger`` tags as they reach Dagster: only ``n8n/*`` labels come from the sender;
the tags that steer the run queue are ours, even for events stored before the ingress refused
foreign keys (an older ingress, a replay, a row written by hand)."""

from tests.support.sensor_ticks import tick


def test_n8n_labels_reach_the_run_and_ours_win(inbox, instance, warehouse):
    event = inbox.add(
        "pipeline.trigger",
        {"assets": ["tracked_artists"], "tags": {"n8n/workflow": "weekly", "n8n/run": "7"}},
    )

    result = tick("pipeline_trigger_events", instance, warehouse, cursor=None)

    (request,) = result.run_requests
    assert request.tags["n8n/workflow"] == "weekly"
    assert request.tags["n8n/run"] == "7"
    assert request.tags["promoteros/event_ids"] == str(event)
    # Dagster adds the sensor's name itself; nothing else outside n8n/ and ours
    others = {k for k in request.tags if not k.startswith(("n8n/", "promoteros/"))}
    assert others <= {"dagster/sensor_name"}


def test_a_stored_trigger_with_foreign_tags_is_refused_not_run(inbox, instance, warehouse):
    spoofed = inbox.add(
        "pipeline.trigger",
        {
            "assets": ["tracked_artists"],
            "tags": {
                "dagster/priority": "999",
                "dagster/max_retries": "50",
                "promoteros/platform": "spoofed",
            },
        },
    )

    result = tick("pipeline_trigger_events", instance, warehouse, cursor=None)

    assert result.run_requests == []
    row = inbox.row(spoofed)
    assert row["status"] == "dead"
    assert "tags.dagster/priority" in row["error"]


def test_a_trigger_that_calls_platform_apis_queues_behind_the_platform_limit(
    inbox, instance, warehouse
):
    inbox.add("pipeline.trigger", {"assets": ["trending_artists"]})

    result = tick("pipeline_trigger_events", instance, warehouse, cursor=None)

    (request,) = result.run_requests
    assert request.tags["promoteros/platform"] == "platform-apis"
