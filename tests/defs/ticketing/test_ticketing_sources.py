"""The simulator's ticketing system: its paginated API pulled on loopback, and its signed
ticketing.sales webhooks (late, duplicated, shuffled) through the real ingress and sensor."""

import base64

import polars as pl
import pytest
from dagster import materialize

from promoteros_pipelines.defs.ticketing.pull import ticketing_api_sales
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.server import LoopbackServer
from promoteros_pipelines.resources.ticketing_api import TicketingApi
from tests.defs.ticketing.ticketing_support import ingest, sql
from tests.support.sensor_ticks import tick

SECRET = "whsec_" + base64.b64encode(b"ticketing-test-secret-32-bytes!!").decode()


def seed_organisation(warehouse, world, organisation_id: int = 1) -> None:
    """The world's organisation and its venues, as the reference data would load them."""
    org = world.organisations.filter(pl.col("organisation_id") == organisation_id).row(
        0, named=True
    )
    new_id = sql(
        warehouse,
        "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
        " VALUES (%s, %s, %s, %s) RETURNING organisation_id",
        (org["slug"], org["name"], org["time_zone"], org["currency"]),
    )[0]["organisation_id"]
    venues = world.venues.filter(pl.col("organisation_id") == organisation_id)
    for v in venues.iter_rows(named=True):
        sql(
            warehouse,
            "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country, latitude,"
            " longitude, capacity, typical_ticket_price) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " %s, %s)",
            (
                new_id,
                v["slug"],
                v["name"],
                v["city"],
                v["country"],
                v["latitude"],
                v["longitude"],
                v["capacity"],
                v["typical_ticket_price"],
            ),
        )


def test_the_api_is_paginated_and_needs_a_token(sim_control):
    first = sim_control.get(
        "/ticketing/v3/organizations/1/events/",
        params={"page": 1, "page_size": 2},
        headers={"Authorization": "Bearer t"},
    ).json()
    count, page_count = first["pagination"]["object_count"], first["pagination"]["page_count"]
    assert page_count == -(-count // 2) > 1 and first["pagination"]["has_more_items"] is True
    pages = [first] + [
        sim_control.get(
            "/ticketing/v3/organizations/1/events/",
            params={"page": page, "page_size": 2},
            headers={"Authorization": "Bearer t"},
        ).json()
        for page in range(2, page_count + 1)
    ]
    assert pages[-1]["pagination"]["has_more_items"] is False
    events = [event for page in pages for event in page["events"]]
    assert len(events) == count == len({event["id"] for event in events})
    ticket_class = events[0]["ticket_classes"][0]
    assert 0 <= ticket_class["quantity_sold"] <= ticket_class["quantity_total"]
    assert ticket_class["cost"]["currency"] == "GBP"
    refused = sim_control.get("/ticketing/v3/organizations/1/events/")
    assert refused.status_code == 401
    assert (
        sim_control.get(
            "/ticketing/v3/organizations/99/events/", headers={"Authorization": "Bearer t"}
        ).status_code
        == 404
    )


def test_the_pull_stores_every_show_of_every_page(warehouse, simulator, small_world):
    shows_of_org = small_world.shows.join(small_world.venues, on="venue_id").filter(
        pl.col("organisation_id") == 1,
        pl.col("on_sale_at") <= small_world.present,
        pl.col("starts_at") > small_world.present,  # the pull reads live shows only
    )
    seed_organisation(warehouse, small_world)
    api = TicketingApi(
        base_url=f"{simulator.base_url}/ticketing", token="t", organisations="1", page_size=2
    )
    resources = {"warehouse": warehouse, "ticketing_api": api}
    assert materialize([ticketing_api_sales], resources=resources).success
    assert materialize([ticketing_api_sales], resources=resources).success  # same clock
    shows = sql(warehouse, "SELECT * FROM promoteros.shows ORDER BY show_id")
    assert len(shows) == shows_of_org.height > 2  # more than one page of 2
    assert all(s["venue_id"] is not None and s["ticket_price"] is not None for s in shows)
    assert all(s["on_sale_at"] is not None for s in shows)
    points = sql(warehouse, "SELECT count(*) AS n FROM promoteros.ticket_sales")[0]["n"]
    assert points == len(shows)  # one point per show at the simulator's time, stored once


def test_an_unconfigured_api_pulls_nothing(warehouse):
    resources = {"warehouse": warehouse, "ticketing_api": TicketingApi()}
    assert materialize([ticketing_api_sales], resources=resources).success
    assert sql(warehouse, "SELECT * FROM promoteros.shows") == []


@pytest.fixture
def ingress_url(database_url):
    settings = IngressSettings(database_url=database_url).with_secrets({"ticketing": SECRET})
    with LoopbackServer(create_app(settings)) as server:
        yield server.base_url


def test_late_duplicated_shuffled_webhooks_file_each_milestone_once(
    warehouse, instance, sim_control, small_world, ingress_url
):
    seed_organisation(warehouse, small_world)
    body = {
        "url": f"{ingress_url}/webhooks/ticketing/ticketing.sales",
        "secret": SECRET,
        "shows": 20,
        "points": 6,
        "late_hours": 3,
        "duplicate": True,
        "shuffle": True,
    }
    posted = sim_control.post("/_control/ticketing/webhooks", json=body, timeout=60).json()
    assert posted["sent"] > 0 and set(posted["statuses"]) == {202}
    result = tick("ticketing_sales_events", instance, warehouse, cursor=None)
    for request in result.run_requests:
        ingest(warehouse, request.run_config["ops"]["ticket_sales"]["config"]["event_ids"])
    shows = sql(warehouse, "SELECT count(*) AS n FROM promoteros.shows")[0]["n"]
    points = sql(warehouse, "SELECT count(*) AS n FROM promoteros.ticket_sales")[0]["n"]
    # every distinct (show, moment) once, however often and in whatever order it came
    assert points == posted["sent"] // 2 and shows <= 20
    per_show = sql(
        warehouse,
        "SELECT show_id, milestone, count(*) AS n FROM promoteros.show_milestones"
        " GROUP BY 1, 2 HAVING count(*) > 1",
    )
    assert per_show == []
    # each show's milestones: exactly those its final count reached, none twice in alerts
    alerts = sql(
        warehouse,
        "SELECT evidence->>'show_id' AS show_id, jsonb_array_elements(evidence->'milestones')"
        " AS m FROM promoteros.alerts WHERE alert_type = 'milestone'",
    )
    assert len(alerts) == len({(a["show_id"], a["m"]) for a in alerts})
    filed = sql(warehouse, "SELECT count(*) AS n FROM promoteros.show_milestones")[0]["n"]
    assert filed >= len(alerts)


def test_mapped_venues_are_what_the_ticketing_system_reports(sim_control, small_world):
    mine = [
        {
            "organisation": "northern-lights-live",
            "slug": "leadmill",
            "name": "The Leadmill",
            "capacity": 900,
        },
        {
            "organisation": "northern-lights-live",
            "slug": "roundhouse",
            "name": "Roundhouse",
            "capacity": 1700,
        },
    ]
    mapped = sim_control.post("/_control/ticketing/venues", json={"venues": mine}).json()
    owned = small_world.venues.filter(pl.col("organisation_id") == 1).height
    assert mapped["mapped"] == owned
    auth = {"Authorization": "Bearer t"}
    events = sim_control.get(
        "/ticketing/v3/organizations/1/events/", params={"page_size": 200}, headers=auth
    ).json()["events"]
    assert events and {e["venue"]["slug"] for e in events} <= {"leadmill", "roundhouse"}
    assert {e["capacity"] for e in events} <= {900, 1700}
    assert all(e["ticket_classes"][0]["quantity_sold"] <= e["capacity"] for e in events)
    # organisation 2 was not mapped: the promoter's account sells nothing there
    other = sim_control.get("/ticketing/v3/organizations/2/events/", headers=auth).json()
    assert other["events"] == []


def test_world_organisations_pair_with_the_promoters_by_slug_then_zone_then_currency():
    from promoteros_pipelines.demo_ticketing import pair_organisations

    promoters = [
        {"slug": "north", "time_zone": "Europe/London", "currency": "GBP"},
        {"slug": "spree", "time_zone": "Europe/Berlin", "currency": "EUR"},
        {"slug": "canal", "time_zone": "Europe/Amsterdam", "currency": "EUR"},
    ]
    world = [
        {"slug": "north", "time_zone": "Europe/Dublin", "currency": "EUR"},
        {"slug": "paris", "time_zone": "Europe/Paris", "currency": "EUR"},
        {"slug": "berlin", "time_zone": "Europe/Berlin", "currency": "EUR"},
        {"slug": "hudson", "time_zone": "America/New_York", "currency": "USD"},
    ]
    assert pair_organisations(promoters, world) == {
        "north": "north",
        "berlin": "spree",
        "paris": "canal",
    }
