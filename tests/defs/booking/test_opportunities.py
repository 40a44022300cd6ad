"""booking_opportunities against real PostgreSQL: what is filed, the recommendation, alerts."""

import pytest
from booking_support import HOSTILE, World, opportunity_of, run_opportunities

from promoteros_pipelines.defs.approvals.store import get_approval


def test_pairs_above_the_threshold_become_opportunities_with_a_recommendation(world: World):
    metadata = run_opportunities(world.warehouse)
    assert metadata["new_opportunities"].value == 2
    assert metadata["offers_waiting_for_approval"].value == 1
    table = metadata["top_opportunities"].value
    assert f"Nova Lights ({world.nova})" in table and "Barrowland" in table

    nova = opportunity_of(world.warehouse, world.nova, world.barrowland)
    assert nova["status"] == "pending_approval" and nova["approval_id"]
    # the window sits next to the Edinburgh date (within 4 days) and is open
    edinburgh = nova["routing"]["nearby_dates"][0]
    assert edinburgh["city"] == "Edinburgh" and 50 < edinburgh["distance_km"] < 100
    assert nova["recommendation"]["window_reason"].startswith("the artist plays nearby")
    assert nova["routing"]["score_component"] == 0.8
    assert nova["routing"]["scoring_evidence"] == {"routing_km": 66.0, "routing_city": "Edinburgh"}
    # competition: the recent King Tut's show in Glasgow, not at one of our venues
    competition = nova["recommendation"]["competition"]
    assert [s["venue_name"] for s in competition["shows"]] == ["King Tut's"]
    assert competition["at_our_venues"] == 0
    projection = nova["projection"]
    p10, p50, p90 = (projection["scenarios"][k]["attendance"] for k in ("p10", "p50", "p90"))
    assert 0 <= p10 <= p50 <= p90 <= 1900
    assert projection["scenarios"]["p50"]["gross"] == p50 * 25
    assert "placeholder" in projection["assumptions"][0]  # no demand model, no played shows

    approval = get_approval(world.warehouse, nova["approval_id"])
    assert approval is not None and approval.kind == "booking_offer"
    assert approval.status == "pending" and approval.subject["venue"] == "barrowland"

    hostile = opportunity_of(world.warehouse, world.hostile, world.barrowland)
    assert hostile["status"] == "new" and hostile["approval_id"] is None
    with pytest.raises(AssertionError):
        opportunity_of(world.warehouse, world.quiet, world.koko)  # 60 < 80
    assert HOSTILE in table.replace("\\|", "|")


def test_a_rerun_files_nothing_new_and_keeps_one_live_opportunity_per_pair(world: World):
    run_opportunities(world.warehouse)
    again = run_opportunities(world.warehouse)
    assert again["new_opportunities"].value == 0
    with world.warehouse.connect() as conn:
        counts = conn.execute(
            "SELECT artist_id, venue_id, count(*) FROM promoteros.booking_opportunities"
            " GROUP BY 1, 2"
        ).fetchall()
        alerts = conn.execute(
            "SELECT count(*) FROM promoteros.alerts WHERE alert_type = 'booking'"
        ).fetchone()
    assert all(count == 1 for _, _, count in counts) and len(counts) == 2
    assert alerts == (2,)


def test_a_lower_threshold_is_configurable(world: World):
    metadata = run_opportunities(world.warehouse, threshold=50)
    assert metadata["new_opportunities"].value == 3
