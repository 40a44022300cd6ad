"""The S3 report store against a real S3 API over HTTP (moto's server on loopback): objects
with their sha256, the ingress handing downloads to presigned URLs, configuration from the
environment, and clear errors when the store is misnamed or unreachable.

The report flow itself (build, mail, download, cleanup) runs on S3 too: every test in
``test_report_flow`` and ``test_report_job`` that takes ``store`` runs once per store.
"""

import hashlib
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from custom_report_support import Downloader

from promoteros_pipelines.defs.custom_reports.resource import CustomReportsResource
from promoteros_pipelines.ingress.report_downloads import ReportDownloads
from promoteros_pipelines.report_store.s3_store import S3ReportStore
from promoteros_pipelines.report_store.store import (
    InvalidKey,
    LocalReportStore,
    ReportStoreError,
    ReportStoreUnavailable,
)
from promoteros_pipelines.report_store.store_config import StoreSettings, open_store
from promoteros_pipelines.runtime.net import free_loopback_port
from tests.support.s3 import SECRET_KEY

KEY = "acme/41/weekly-followers.csv"
CONTENT = b"day,artist,value\n2026-11-10,Nova Lights,1005\n"


def test_put_stat_read_delete_roundtrip_keeps_the_sha256(s3_store, s3_server):
    put = s3_store.put(KEY, CONTENT)
    assert put.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert put.size_bytes == len(CONTENT)
    assert put.location == f"s3://{s3_store.bucket}/custom-reports/{KEY}"

    head = s3_server.client().head_object(Bucket=s3_store.bucket, Key=f"custom-reports/{KEY}")
    assert head["Metadata"]["sha256"] == put.sha256  # stat answers from this HEAD
    assert head["ContentType"] == "text/csv; charset=utf-8"
    assert head["ContentDisposition"] == 'attachment; filename="weekly-followers.csv"'

    assert s3_store.stat(KEY) == put
    assert s3_store.read(KEY) == CONTENT and s3_store.exists(KEY)
    assert s3_store.delete(KEY) is True
    assert s3_store.delete(KEY) is False
    assert s3_store.stat(KEY) is None and s3_store.read(KEY) is None
    assert not s3_store.exists(KEY)


def test_stat_hashes_an_object_written_without_our_metadata(s3_store, s3_server):
    s3_server.client().put_object(Bucket=s3_store.bucket, Key=f"custom-reports/{KEY}", Body=CONTENT)
    assert s3_store.stat(KEY).sha256 == hashlib.sha256(CONTENT).hexdigest()


@pytest.mark.parametrize("kind", ["local", "s3"])
@pytest.mark.parametrize(
    "key", ["../escape.csv", "acme/../../etc/passwd", "/abs.csv", "Acme/x.csv", "acme//x.csv", ""]
)
def test_both_stores_refuse_the_same_bad_keys(request, kind, key):
    store = request.getfixturevalue(f"{kind}_store")
    calls = [partial(store.put, key, b"x")]
    calls += [partial(operation, key) for operation in (store.stat, store.read, store.delete)]
    if kind == "s3":
        calls.append(partial(store.presigned_get, key, 60))
    for call in calls:
        with pytest.raises(InvalidKey):
            call()
    assert store.stale_objects(datetime.now(UTC) + timedelta(days=1)) == []


@pytest.fixture
def s3_downloader(database_url, s3_store, signer) -> Downloader:
    return Downloader.serving(database_url, s3_store, signer)


def test_the_ingress_redirects_to_a_presigned_url_that_serves_the_exact_bytes(
    s3_store, s3_downloader, signer, s3_server
):
    s3_store.put(KEY, CONTENT)
    link = f"/reports/{signer.sign(KEY, datetime.now(UTC) + timedelta(hours=24))}"

    redirect = s3_downloader.get(link)
    assert redirect.status_code == 307
    assert redirect.headers["cache-control"] == "private, no-store"
    assert redirect.headers["referrer-policy"] == "no-referrer"
    location = redirect.headers["location"]
    assert location.startswith(f"{s3_server.endpoint_url}/{s3_store.bucket}/custom-reports/")
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["600"]

    response = httpx.get(location, timeout=10)
    assert response.status_code == 200 and response.content == CONTENT
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="weekly-followers.csv"'
    )
    assert response.headers["cache-control"] == "private, no-store"


def test_a_presigned_url_never_outlives_the_link(s3_store, s3_downloader, signer):
    s3_store.put(KEY, CONTENT)
    link = f"/reports/{signer.sign(KEY, datetime.now(UTC) + timedelta(seconds=90))}"
    location = s3_downloader.get(link).headers["location"]
    assert 80 <= int(parse_qs(urlsplit(location).query)["X-Amz-Expires"][0]) <= 90


def test_expired_deleted_and_tampered_links_serve_nothing(s3_store, s3_downloader, signer):
    s3_store.put(KEY, CONTENT)
    expired = signer.sign(KEY, datetime.now(UTC) - timedelta(seconds=1))
    assert s3_downloader.get(f"/reports/{expired}").status_code == 410

    live = signer.sign(KEY, datetime.now(UTC) + timedelta(hours=1))
    # Flip the signature's first character: its last one may carry only base64 padding bits.
    payload, signature = live.rsplit(".", 1)
    flipped = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert s3_downloader.get(f"/reports/{flipped}").status_code == 403

    s3_store.delete(KEY)
    response = s3_downloader.get(f"/reports/{live}")
    assert response.status_code == 410 and response.json()["error"] == "report_deleted"
    assert response.headers["cache-control"] == "no-store"


def test_orphan_cleanup_never_leaves_the_prefix(s3_store, s3_server):
    client = s3_server.client()
    client.put_object(Bucket=s3_store.bucket, Key="someone-else/keep.csv", Body=b"x")
    s3_store.put("acme/999/crashed-run.csv", b"x")
    later = datetime.now(UTC) + timedelta(seconds=2)
    assert s3_store.stale_objects(later) == ["acme/999/crashed-run.csv"]
    s3_store.remove_stale("acme/999/crashed-run.csv")
    listed = client.list_objects_v2(Bucket=s3_store.bucket)["Contents"]
    assert [entry["Key"] for entry in listed] == ["someone-else/keep.csv"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://bucket-name/reports", "is not an s3:// URL"),
        ("s3://", "does not name a valid bucket"),
        ("s3://Bad_Bucket/reports", "does not name a valid bucket"),
        ("s3://ab/reports", "does not name a valid bucket"),
        ("s3://promoteros-reports/../up", "has a folder"),
        ("s3://promoteros-reports/Reports", "has a folder"),
        ("s3://promoteros-reports:9000/reports", "has a port, query or fragment"),
        ("s3://promoteros-reports/reports?region=eu", "has a port, query or fragment"),
    ],
)
def test_a_malformed_store_url_is_refused_with_what_to_do(url, message):
    with pytest.raises(Exception, match="PROMOTEROS_REPORT_STORE_URL") as raised:
        open_store(StoreSettings(url=url))
    assert message in str(raised.value) and "s3://promoteros-reports/custom" in str(raised.value)


def test_store_settings_that_cannot_work_are_refused_without_echoing_secrets():
    with pytest.raises(Exception, match="must not hold credentials") as raised:
        open_store(StoreSettings(url="s3://AKIA:hunter2@promoteros-reports/reports"))
    assert "hunter2" not in str(raised.value)
    with pytest.raises(Exception, match="Both PROMOTEROS_REPORT_STORE_URL and"):
        open_store(StoreSettings(url="s3://promoteros-reports", directory="/tmp/reports"))
    with pytest.raises(Exception, match="PROMOTEROS_S3_ENDPOINT_URL must be an http"):
        open_store(StoreSettings(url="s3://promoteros-reports", endpoint_url="minio:9000"))


def test_the_job_and_the_ingress_open_the_same_store_from_the_environment(
    monkeypatch, s3_server, s3_credentials, signer, database_url
):
    monkeypatch.delenv("PROMOTEROS_REPORT_STORE", raising=False)
    monkeypatch.setenv("PROMOTEROS_REPORT_STORE_URL", "s3://promoteros-reports/custom/reports")
    monkeypatch.setenv("PROMOTEROS_S3_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("PROMOTEROS_S3_REGION", "eu-central-1")
    job_store = CustomReportsResource.from_env().store()
    ingress_store = ReportDownloads.from_env().store
    for store in (job_store, ingress_store):
        assert isinstance(store, S3ReportStore)
        assert (store.bucket, store.prefix, store.region) == (
            "promoteros-reports",
            "custom/reports",
            "eu-central-1",
        )
        assert store.endpoint_url == s3_server.endpoint_url

    monkeypatch.delenv("PROMOTEROS_REPORT_STORE_URL")
    assert isinstance(CustomReportsResource.from_env().store(), LocalReportStore)

    monkeypatch.setenv("PROMOTEROS_REPORT_STORE_URL", "s3://Not A Bucket")
    with pytest.raises(Exception, match="does not name a valid bucket"):
        CustomReportsResource.from_env().store()
    downloads = ReportDownloads.from_env()
    assert downloads.store is None
    downloads.signer = signer
    link = f"/reports/{signer.sign(KEY, datetime.now(UTC) + timedelta(hours=1))}"
    answer = Downloader(database_url, downloads).get(link)
    assert answer.status_code == 503 and "does not name a valid bucket" in answer.json()["detail"]


def test_a_missing_bucket_is_named_not_taken_for_a_missing_report(s3_server, s3_credentials):
    store = S3ReportStore("no-such-bucket-here", endpoint_url=s3_server.endpoint_url)
    with pytest.raises(ReportStoreError, match="bucket 'no-such-bucket-here' does not exist"):
        store.put(KEY, CONTENT)
    with pytest.raises(ReportStoreError, match="does not exist"):
        store.stat(KEY)


def test_missing_credentials_are_named(s3_store, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    store = S3ReportStore(s3_store.bucket, endpoint_url=s3_store.endpoint_url)
    with pytest.raises(ReportStoreError, match="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        store.put(KEY, CONTENT)


def test_an_unreachable_endpoint_fails_fast_and_says_where(s3_credentials, signer, database_url):
    endpoint = f"http://127.0.0.1:{free_loopback_port()}"  # nothing listens there
    store = S3ReportStore("promoteros-reports", "reports", endpoint_url=endpoint)
    started = time.monotonic()
    with pytest.raises(ReportStoreUnavailable) as raised:
        store.put(KEY, CONTENT)
    assert time.monotonic() - started < 10
    message = str(raised.value)
    assert endpoint in message and "PROMOTEROS_S3_ENDPOINT_URL" in message
    assert SECRET_KEY not in message

    link = f"/reports/{signer.sign(KEY, datetime.now(UTC) + timedelta(hours=1))}"
    answer = Downloader.serving(database_url, store, signer).get(link)
    assert answer.status_code == 503 and answer.json()["error"] == "store_unavailable"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: the endpoint that hangs a client with no
    timeouts."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_server_that_never_answers_times_out(s3_credentials, silent_server):
    store = S3ReportStore(
        "promoteros-reports", endpoint_url=silent_server, read_timeout=1, max_attempts=2
    )
    started = time.monotonic()
    with pytest.raises(ReportStoreUnavailable, match="ReadTimeoutError"):
        store.stat(KEY)
    assert time.monotonic() - started < 10
