"""show_sell_through: velocity, forecast, roll-ups and one risk alert, from hand-built curves."""

import datetime as dt

import pytest
from dagster import materialize

from promoteros_pipelines.defs.ticketing.sell_through import show_sell_through
from tests.defs.ticketing.ticketing_support import T0, ingest, sales_event, sql, venue_world

NOW = T0 + dt.timedelta(days=7)


def refresh(warehouse, **config) -> dict:
    run_config = {"ops": {"show_sell_through": {"config": {"as_of": NOW.isoformat(), **config}}}}
    result = materialize(
        [show_sell_through], run_config=run_config, resources={"warehouse": warehouse}
    )
    assert result.success
    metadata = result.asset_materializations_for_node("show_sell_through")[0].metadata
    return {key: value.value for key, value in metadata.items()}


@pytest.fixture
def two_shows(warehouse):
    world = venue_world(warehouse)
    soon = (NOW + dt.timedelta(days=10)).date().isoformat()
    slow = [(0, 0), (6 * 24, 100), (7 * 24, 148), (8 * 24, 900)]  # the last is after NOW
    fast = [(0, 0), (6 * 24, 700), (7 * 24, 760)]
    ingest(
        warehouse,
        [
            sales_event(warehouse, "slow", slow, show_date=soon),
            sales_event(warehouse, "fast", fast, show_date=soon, venue_slug="roundhouse"),
        ],
    )
    return world


def test_velocity_forecast_and_risk_per_show(warehouse, two_shows):
    metadata = refresh(warehouse)
    rows = {r["show_id"]: r for r in sql(warehouse, "SELECT * FROM promoteros.show_sell_through")}
    slow, fast = rows["slow"], rows["fast"]
    assert (slow["sold"], slow["capacity"]) == (148, 1000)  # the point after NOW is ignored
    assert slow["sell_through"] == pytest.approx(0.148)
    assert slow["velocity_24h"] == pytest.approx(48 / 24)
    assert slow["velocity_7d"] == pytest.approx(148 / 168)
    assert slow["days_to_show"] == 10 and float(slow["gross"]) == 2960.0
    assert slow["at_risk"] and slow["forecast_sell_through"] < 0.6
    assert slow["sellout_date"] is None and slow["sellout_probability"] < 0.05
    assert not fast["at_risk"] and fast["sellout_probability"] > 0.9
    assert fast["sellout_date"] <= (NOW + dt.timedelta(days=10)).date()
    assert metadata["shows_at_risk"] == 1 and metadata["risk_alerts_filed"] == 1


def test_one_risk_alert_per_show_routed_to_its_venue(warehouse, two_shows):
    refresh(warehouse)
    refresh(warehouse)
    alerts = sql(
        warehouse, "SELECT subject, evidence FROM promoteros.alerts WHERE alert_type = 'risk'"
    )
    assert len(alerts) == 1
    assert alerts[0]["evidence"]["venue_id"] == two_shows["leadmill"]
    assert "Show slow at The Leadmill" in alerts[0]["subject"]
    assert "days out (below 60%)" in alerts[0]["subject"]


def test_a_lower_risk_level_files_nothing(warehouse, two_shows):
    metadata = refresh(warehouse, risk_level=0.1)
    assert metadata["shows_at_risk"] == 0
    assert sql(warehouse, "SELECT * FROM promoteros.alerts WHERE alert_type = 'risk'") == []


def test_venue_and_organisation_roll_ups(warehouse, two_shows):
    refresh(warehouse)
    venues = sql(warehouse, "SELECT * FROM promoteros.venue_sell_through ORDER BY venue_id")
    assert [(v["venue_id"], v["sold"], v["shows_at_risk"]) for v in venues] == [
        (two_shows["leadmill"], 148, 1),
        (two_shows["roundhouse"], 760, 0),
    ]
    org = sql(warehouse, "SELECT * FROM promoteros.organisation_sell_through")[0]
    assert (org["shows"], org["sold"], org["capacity"]) == (2, 908, 2000)
    assert float(org["sell_through"]) == pytest.approx(0.454)


def test_a_show_past_its_date_is_played_and_files_nothing_more(warehouse, two_shows):
    after_the_show = NOW + dt.timedelta(days=11)
    metadata = refresh(warehouse, as_of=after_the_show.isoformat())
    assert metadata["shows_marked_played"] == 2 and metadata["shows"] == 0
    statuses = sql(warehouse, "SELECT DISTINCT status FROM promoteros.shows")
    assert statuses == [{"status": "played"}]
    assert sql(warehouse, "SELECT * FROM promoteros.show_sell_through") == []
    # a late report that the slow show sold out is kept, but files no milestone now
    late = ingest(warehouse, [sales_event(warehouse, "slow", [(9 * 24, 1000)])])
    assert late["observations_inserted"] == 1 and late["milestones_filed"] == 0
    filed = sql(
        warehouse, "SELECT milestone FROM promoteros.show_milestones WHERE show_id = 'slow'"
    )
    assert 100 not in {row["milestone"] for row in filed}
    assert refresh(warehouse, as_of=after_the_show.isoformat())["shows_marked_played"] == 0


def test_a_cancelled_show_stays_cancelled_and_files_nothing(warehouse, two_shows):
    sql(warehouse, "UPDATE promoteros.shows SET status = 'cancelled' WHERE show_id = 'slow'")
    late = ingest(warehouse, [sales_event(warehouse, "slow", [(7 * 24 + 1, 1000)])])
    assert late["observations_inserted"] == 1 and late["milestones_filed"] == 0
    metadata = refresh(warehouse, as_of=(NOW + dt.timedelta(days=11)).isoformat())
    assert metadata["shows_marked_played"] == 1  # only the other show
    status = sql(warehouse, "SELECT show_id, status FROM promoteros.shows ORDER BY show_id")
    assert status == [
        {"show_id": "fast", "status": "played"},
        {"show_id": "slow", "status": "cancelled"},
    ]
    assert sql(warehouse, "SELECT * FROM promoteros.alerts WHERE alert_type = 'risk'") == []
