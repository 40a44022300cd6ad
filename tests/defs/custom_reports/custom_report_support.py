"""Custom report test helpers (own module name, so it collects beside other conftests)."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from promoteros_pipelines.domain.discovery import normalize_name
from promoteros_pipelines.ingress.app import create_app
from promoteros_pipelines.ingress.config import IngressSettings
from promoteros_pipelines.ingress.report_downloads import ReportDownloads
from promoteros_pipelines.report_store.links import LinkSigner
from promoteros_pipelines.report_store.store import ReportStore
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

SECRET = "test-link-secret-0123456789-abcdefghijklmnop"
PUBLIC_URL = "https://reports.example.test"
SPIKY_NAME = '=HYPERLINK("http://evil.test","x")'
ARTISTS = {
    "Nova Lights": ["indie", "dream pop"],
    "Basement Choir": ["techno"],
    SPIKY_NAME: ["indie"],
}


def seed_world(warehouse: PostgresWarehouse) -> dict[str, int]:
    """Organisation ``acme``, venues ``the-loft`` (indie) and ``warehouse-9`` (electronic: its
    techno artist fits it through the genre taxonomy)."""
    ids: dict[str, int] = {}
    with warehouse.connect() as conn:
        conn.execute(
            "INSERT INTO promoteros.organisations (slug, name, time_zone, currency) "
            "VALUES ('acme', 'Acme Live', 'Europe/London', 'GBP')"
        )
        for slug, name, genres in (
            ("the-loft", "The Loft", ["indie"]),
            ("warehouse-9", "Warehouse 9", ["electronic"]),
        ):
            conn.execute(
                "INSERT INTO promoteros.venues (organisation_id, slug, name, city, country, "
                "latitude, longitude, capacity, genres, typical_ticket_price) "
                "SELECT organisation_id, %s, %s, 'London', 'GB', 51.5, -0.1, 400, %s, 20 "
                "FROM promoteros.organisations WHERE slug = 'acme'",
                (slug, name, genres),
            )
        conn.execute(
            "INSERT INTO promoteros.recipients (organisation_id, name, email, role) "
            "SELECT organisation_id, 'Ana Lyst', 'analyst@acme.test', 'analyst' "
            "FROM promoteros.organisations WHERE slug = 'acme'"
        )
        for name, genres in ARTISTS.items():
            row = conn.execute(
                "INSERT INTO promoteros.artists (name, normalized_name, genres) "
                "VALUES (%s, %s, %s) RETURNING artist_id",
                (name, normalize_name(name) or name, genres),
            ).fetchone()
            assert row is not None
            ids[name] = row[0]
        start = datetime(2026, 11, 10, 9, tzinfo=UTC)
        for index, artist_id in enumerate(ids.values()):
            for day in range(7):
                for hour, bump in ((0, 0), (6, 5)):
                    conn.execute(
                        "INSERT INTO promoteros.metric_observations "
                        "(artist_id, platform, metric, observed_at, value) "
                        "VALUES (%s, 'spotify', 'followers', %s, %s)",
                        (
                            artist_id,
                            start + timedelta(days=day, hours=hour),
                            1000 * (index + 1) + 10 * day + bump,
                        ),
                    )
    return ids


def request(**overrides: Any) -> dict[str, Any]:
    return {
        "organisation": "acme",
        "date_from": "2026-11-10",
        "date_to": "2026-11-16",
        "metrics": ["followers"],
        "artists": ["Nova Lights", SPIKY_NAME],
        "format": "csv",
        "email": "booker@acme.test",
        **overrides,
    }


class Downloader:
    """GETs against the real ingress ASGI app through httpx's ASGI transport; ``fetch`` also
    follows the ingress's redirect to the object store over real HTTP, as a browser would."""

    def __init__(self, database_url: str, downloads: ReportDownloads) -> None:
        self.app = create_app(IngressSettings(database_url=database_url), downloads)

    @classmethod
    def serving(cls, database_url: str, store: ReportStore, signer: LinkSigner) -> "Downloader":
        return cls(database_url, ReportDownloads(signer=signer, store=store))

    def get(self, url: str) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
                response = await client.get(url)
                await response.aread()
                return response

        return asyncio.run(fetch())

    def fetch(self, url: str) -> httpx.Response:
        """The file as the person clicking the link gets it."""
        response = self.get(url)
        if response.status_code != 307:
            return response
        assert response.headers["cache-control"] == "private, no-store"
        return httpx.get(response.headers["location"], timeout=10)


def report_rows(warehouse: PostgresWarehouse) -> list[dict[str, Any]]:
    frame = warehouse.read_frame(
        "SELECT event_id, status, object_key, path, sha256, rows, format, error, expires_at "
        "FROM promoteros.custom_reports ORDER BY event_id"
    )
    return json.loads(frame.write_json()) if not frame.is_empty() else []
