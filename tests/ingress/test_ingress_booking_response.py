"""``booking.response``: accepted for an existing opportunity, 422 naming an unknown one."""

import datetime as dt

import psycopg
from ingress_helpers import STRANGER, IngressUnderTest

PATH = "/webhooks/n8n/booking.response"


def _opportunity(database_url: str) -> int:
    today = dt.date.today()
    with psycopg.connect(database_url) as conn:
        (org,) = conn.execute(
            "INSERT INTO promoteros.organisations (slug, name, time_zone, currency)"
            " VALUES ('north', 'North', 'UTC', 'GBP') RETURNING organisation_id"
        ).fetchone()  # type: ignore[misc]
        (venue,) = conn.execute(
            "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country,"
            " latitude, longitude, capacity, typical_ticket_price)"
            " VALUES (%s, 'koko', 'Koko', 'London', 'GB', 51.5, -0.1, 1400, 25)"
            " RETURNING venue_id",
            (org,),
        ).fetchone()  # type: ignore[misc]
        (artist,) = conn.execute(
            "INSERT INTO promoteros.artists (name, normalized_name) VALUES ('Nova', 'nova')"
            " RETURNING artist_id"
        ).fetchone()  # type: ignore[misc]
        (opportunity,) = conn.execute(
            "INSERT INTO promoteros.booking_opportunities (artist_id, venue_id, status, score,"
            " window_start, window_end) VALUES (%s, %s, 'sent', 93, %s, %s) RETURNING id",
            (artist, venue, today, today),
        ).fetchone()  # type: ignore[misc]
    return int(opportunity)


def test_a_response_for_an_unknown_opportunity_is_refused_with_422_naming_it(
    ingress: IngressUnderTest,
):
    response = ingress.post(PATH, {"opportunity_id": 987654, "response": "accepted"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "unknown_opportunity"
    assert body["detail"][0]["field"] == "opportunity_id"
    assert "987654" in body["detail"][0]["message"]
    assert ingress.rows() == []


def test_a_response_for_a_known_opportunity_is_stored(ingress: IngressUnderTest):
    opportunity = _opportunity(ingress.database_url)
    payload = {"opportunity_id": opportunity, "response": "counter", "note": "9k?"}
    response = ingress.post(PATH, payload)
    assert response.status_code == 202, response.text
    (row,) = ingress.rows()
    assert row[2] == "booking.response" and row[4] == payload


def test_an_unsigned_probe_learns_nothing_about_ids(ingress: IngressUnderTest):
    response = ingress.post(PATH, {"opportunity_id": 1, "response": "accepted"}, secret=STRANGER)
    assert response.status_code == 401


def test_a_response_outside_the_contract_is_a_schema_422(ingress: IngressUnderTest):
    response = ingress.post(PATH, {"opportunity_id": 1, "response": "maybe"})
    assert response.status_code == 422 and response.json()["error"] == "schema_violation"
