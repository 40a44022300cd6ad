"""A small world for custom reports: one organisation, two venues, three artists, a week of
observations; a real SMTP server, the ingress app, and a report store that is either a
temporary directory or a bucket on a real S3 server over HTTP (every store test runs on both)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from custom_report_support import SECRET, Downloader, seed_world

from promoteros_pipelines.report_store.links import LinkSigner
from promoteros_pipelines.report_store.s3_store import S3ReportStore
from promoteros_pipelines.report_store.store import LocalReportStore, ReportStore
from promoteros_pipelines.resources.mailer import Mailer
from promoteros_pipelines.resources.warehouse import PostgresWarehouse
from tests.support.s3 import S3Server, use_test_credentials
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


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One S3 server per test process; tests share it through buckets of their own."""
    with S3Server() as server:
        yield server


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_test_credentials(monkeypatch, tmp_path)


@pytest.fixture
def s3_store(s3_server: S3Server, s3_credentials: None) -> S3ReportStore:
    return S3ReportStore(
        s3_server.new_bucket(), "custom-reports", endpoint_url=s3_server.endpoint_url
    )


@pytest.fixture
def local_store(tmp_path: Path) -> LocalReportStore:
    return LocalReportStore(tmp_path / "report-store")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> ReportStore:
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner(SECRET)


@pytest.fixture
def downloader(database_url: str, store: ReportStore, signer: LinkSigner) -> Downloader:
    return Downloader.serving(database_url, store, signer)
