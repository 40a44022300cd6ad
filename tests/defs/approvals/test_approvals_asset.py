"""The approvals asset: pending by priority and age, the week's figures, for people."""

from datetime import UTC, datetime, timedelta

from approvals_support import EXEC, hours_ago, offer
from dagster import materialize

from promoteros_pipelines.defs.approvals.assets import approvals
from promoteros_pipelines.defs.approvals.lifecycle import expire_due
from promoteros_pipelines.defs.approvals.store import decide, request_approval, weekly_statistics
from promoteros_pipelines.domain.approvals import approvals_summary


def test_the_asset_lists_pending_most_urgent_then_oldest(people):
    old = offer(people, "old", now=hours_ago(30), artist="Old Act")
    urgent = offer(people, "urgent", priority="urgent", artist="Urgent Act")
    decided = offer(people, "decided")
    decide(people, decided, EXEC, "approved", reason=None, channel="cli")

    result = materialize([approvals], resources={"warehouse": people})
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["pending"].value == 2
    assert metadata["oldest_pending_hours"].value == 30.0
    rows = [record.data for record in metadata["pending_by_priority"].value.records]
    assert [row["approval"] for row in rows] == [urgent, old]
    assert rows[1]["what"] == "Offer to Old Act at barrowland for GBP 12,000"
    assert metadata["decided_7d"].value == 1
    assert metadata["dagster/row_count"].value == 3


def test_weekly_statistics_count_median_auto_and_expired_shares(people):
    decide(
        people, offer(people, "a", now=hours_ago(4)), EXEC, "approved", reason=None, channel="cli"
    )
    offer(people, "stale", now=hours_ago(60))
    expire_due(people)
    request_approval(
        people, kind="booking_offer", request_key="auto", requested_by="x@y.example",
        subject={}, organisation="north", confidence=99.0,
    )  # fmt: skip
    now = datetime.now(UTC)
    week = weekly_statistics(people, now - timedelta(days=7), now)
    assert week["count"] == 3
    assert week["auto_share"] == week["expired_share"] == 1 / 3
    assert week["median_hours"] == 4.0
    assert weekly_statistics(people, hours_ago(24 * 30), hours_ago(24 * 23))["count"] == 0
    assert weekly_statistics(people, now - timedelta(days=7), now, "north")["count"] == 3
    assert weekly_statistics(people, now - timedelta(days=7), now, "south")["count"] == 0
    assert approvals_summary(week) == (
        "3 approvals decided; median 4.0 hours from request to decision; 33% auto-approved; "
        "33% expired without a decision."
    )
    assert approvals_summary(weekly_statistics(people, hours_ago(100), hours_ago(99))) == (
        "No approvals were decided this week."
    )
