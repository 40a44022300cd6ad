"""A small world for custom reports: one organisation, two venues, three artists, a week of
observations; a real SMTP server, a store in a temporary directory, and the ingress app."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from custom_report_support import SECRET, Downloader, seed_world

from promoteros_pipelines.custom_reports.links import LinkSigner
from promoteros_pipelines.custom_reports.store import LocalReportStore
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.support.smtp import SmtpServer


@pytest.fixture
def world(warehouse: PostgresWarehouse) -> dict[str, int]:
    return seed_world(warehouse)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailer(smtp: SmtpServer) -> Mailer:
    return Mailer(smtp_url=smtp.url, mail_from="PromoterOS <reports@promoteros.test>")


@pytest.fixture
def store(tmp_path: Path) -> LocalReportStore:
    return LocalReportStore(tmp_path / "report-store")


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner(SECRET)


@pytest.fixture
def downloader(database_url: str, store: LocalReportStore, signer: LinkSigner) -> Downloader:
    return Downloader(database_url, store, signer)
