"""A report request end to end: real PostgreSQL, real SMTP, real HTTP against the ingress app."""

import csv
import hashlib
import io
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from custom_report_support import PUBLIC_URL, SPIKY_NAME, report_rows, request

from promoteros_pipelines.defs.custom_reports.request import ReportRefused, parse_request, resolve
from promoteros_pipelines.defs.custom_reports.service import (
    expire_reports,
    produce_report,
    recipients_for,
)
from promoteros_pipelines.report_store.links import LinkSigner

LINK = re.compile(re.escape(PUBLIC_URL) + r"/reports/[A-Za-z0-9_.\-]+")


def produce(warehouse, store, signer, mailer, event_id=1, now=None, **overrides):
    return produce_report(
        warehouse=warehouse,
        store=store,
        signer=signer,
        mailer=mailer,
        public_url=PUBLIC_URL,
        event_id=event_id,
        payload=request(**overrides),
        now=now,
    )


def mailed_link(smtp, index: int = -1) -> str:
    body = smtp.received[index].message.get_body(preferencelist=("plain",)).get_content()
    found = LINK.search(body)
    assert found, body
    return found.group(0)


def test_a_csv_report_is_stored_mailed_and_downloads_exactly(
    world, warehouse, store, signer, mailer, smtp, downloader
):
    outcome = produce(warehouse, store, signer, mailer, event_id=41)
    assert outcome.status == "sent" and outcome.recipients == ("booker@acme.test",)

    [mail] = smtp.received
    assert mail.recipients == ["booker@acme.test"]
    assert mail.message["Subject"].startswith("Report ready: Acme Live artist metrics")
    assert "custom-report-41" in mail.message["Message-ID"]

    [row] = report_rows(warehouse)
    assert row["status"] == "sent" and row["format"] == "csv" and row["event_id"] == 41
    stored = store.read(row["object_key"])
    assert stored is not None and hashlib.sha256(stored).hexdigest() == row["sha256"]
    assert row["path"].endswith(row["object_key"])

    response = downloader.fetch(mailed_link(smtp))
    assert response.status_code == 200
    assert response.content == stored
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]

    rows = list(csv.DictReader(io.StringIO(stored.decode())))
    assert row["rows"] == len(rows) == 14  # 2 artists x 7 days of followers on spotify
    nova = [r for r in rows if r["artist"] == "Nova Lights"]
    # the last value of each London day: the 15:00 UTC reading (base + 10/day + 5)
    assert [float(r["value"]) for r in nova[:2]] == [1005.0, 1015.0]
    assert nova[1]["change"] == "10.0"


def test_rerunning_the_event_sends_no_second_mail_and_keeps_one_row(
    world, warehouse, store, signer, mailer, smtp
):
    first = produce(warehouse, store, signer, mailer, event_id=7)
    again = produce(warehouse, store, signer, mailer, event_id=7)
    assert first.status == "sent" and again.status == "already_sent"
    assert again.sha256 == first.sha256
    assert len(smtp.received) == 1
    assert len(report_rows(warehouse)) == 1


def test_formula_cells_are_neutralised_in_csv_and_xlsx(world, warehouse, store, signer, mailer):
    produce(warehouse, store, signer, mailer, event_id=1, format="csv")
    produce(warehouse, store, signer, mailer, event_id=2, format="xlsx", title="=SUM(A1:A9)")
    csv_row, xlsx_row = report_rows(warehouse)

    text = store.read(csv_row["object_key"]).decode()
    artists = {r["artist"] for r in csv.DictReader(io.StringIO(text))}
    assert artists == {"Nova Lights", "'" + SPIKY_NAME}

    book = openpyxl.load_workbook(io.BytesIO(store.read(xlsx_row["object_key"])))
    sheet = book["Report"]
    header = [cell.value for cell in sheet[1]]
    cells = [row[header.index("artist")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert set(cells) == {"Nova Lights", "'" + SPIKY_NAME}
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.cell(2, header.index("day") + 1).number_format == "yyyy-mm-dd"
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert about["Title"] == "'=SUM(A1:A9)"


def test_json_report_holds_the_rows_as_they_are(world, warehouse, store, signer, mailer):
    produce(warehouse, store, signer, mailer, format="json", artists=[], venues=["warehouse-9"])
    [row] = report_rows(warehouse)
    document = json.loads(store.read(row["object_key"]))
    assert document["report"]["rows"] == 7
    assert {r["artist"] for r in document["rows"]} == {"Basement Choir"}
    assert {r["fits_venues"] for r in document["rows"]} == {"Warehouse 9"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"organisation": "nobody"}, "no organisation 'nobody'"),
        ({"artists": ["Who Is This"]}, "unknown artists: Who Is This"),
        ({"artists": [], "venues": ["elsewhere"]}, "unknown venues for this organisation"),
        ({"artists": [], "venues": []}, "name at least one artist"),
        ({"date_from": "2024-01-01", "date_to": "2026-01-01"}, "at most 366 days"),
        ({"metrics": ["vibes"]}, "metrics.0"),
        ({"format": "docx"}, "format"),
        ({"date_from": "2026-11-20", "date_to": "2026-11-01"}, "date_to must be on or after"),
    ],
)
def test_bad_requests_are_refused_with_a_clear_reason(
    world, warehouse, store, signer, mailer, smtp, overrides, message
):
    with pytest.raises(ReportRefused, match=re.escape(message)):
        produce(warehouse, store, signer, mailer, event_id=9, **overrides)
    assert store.stale_objects(datetime.now(UTC) + timedelta(days=1)) == []
    rows = report_rows(warehouse)
    if not rows:  # the payload itself is invalid: nothing recorded, nobody to trust
        assert smtp.received == []
        return
    # refusals after parsing are recorded and the requester is told once, with the reason
    assert rows[0]["status"] == "rejected" and message in rows[0]["error"]
    [mail] = smtp.received
    assert mail.recipients == ["booker@acme.test"]
    assert message in mail.message.get_body(preferencelist=("plain",)).get_content()
    with pytest.raises(ReportRefused, match=re.escape(message)):
        produce(warehouse, store, signer, mailer, event_id=9, **overrides)
    assert len(smtp.received) == 1


def test_tampered_and_expired_links_are_refused_without_touching_the_file(
    world, warehouse, store, signer, mailer, smtp, downloader
):
    produce(warehouse, store, signer, mailer, event_id=3)
    link = mailed_link(smtp)
    [row] = report_rows(warehouse)
    before = store.read(row["object_key"])

    token = link.rsplit("/", 1)[1]
    # Flip the signature's first character: its last one may carry only base64 padding bits.
    payload, signature = token.rsplit(".", 1)
    flipped = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert downloader.get(f"/reports/{flipped}").status_code == 403
    other_secret = LinkSigner("another-secret-that-is-long-enough-000000")
    forged = other_secret.sign(row["object_key"], datetime.now(UTC) + timedelta(hours=1))
    assert downloader.get(f"/reports/{forged}").status_code == 403
    traversal = signer.sign("../../etc/passwd", datetime.now(UTC) + timedelta(hours=1))
    assert downloader.get(f"/reports/{traversal}").status_code == 403

    expired = signer.sign(row["object_key"], datetime.now(UTC) - timedelta(seconds=1))
    response = downloader.get(f"/reports/{expired}")
    assert response.status_code == 410
    assert response.json()["error"] == "link_expired"
    assert store.read(row["object_key"]) == before
    assert downloader.fetch(link).content == before


def test_cleanup_deletes_expired_files_and_marks_rows(
    world, warehouse, store, signer, mailer, smtp, downloader
):
    long_ago = datetime.now(UTC) - timedelta(days=2)
    produce(warehouse, store, signer, mailer, event_id=5, now=long_ago)
    produce(warehouse, store, signer, mailer, event_id=6)
    old, fresh = report_rows(warehouse)

    outcome = expire_reports(warehouse, store)
    assert (outcome.expired, outcome.files_deleted) == (1, 1)
    assert not store.exists(old["object_key"]) and store.exists(fresh["object_key"])
    old, fresh = report_rows(warehouse)
    assert old["status"] == "expired" and fresh["status"] == "sent"
    assert downloader.get(mailed_link(smtp, 0)).status_code == 410
    assert downloader.fetch(mailed_link(smtp, 1)).status_code == 200
    assert expire_reports(warehouse, store).expired == 0
    # a re-run of an expired event sends nothing again
    assert produce(warehouse, store, signer, mailer, event_id=5).status == "expired"
    assert len(smtp.received) == 2


def test_without_an_email_the_organisations_analysts_get_the_link(world, warehouse):
    scope = resolve(warehouse, parse_request(request()))
    assert recipients_for(warehouse, scope) == ("booker@acme.test",)
    without = scope.request.model_copy(update={"email": ""})
    scope = resolve(warehouse, without)
    assert recipients_for(warehouse, scope) == ("analyst@acme.test",)


def test_cleanup_removes_orphaned_objects_once_old_enough_and_keeps_live_ones(
    world, warehouse, store, signer, mailer
):
    produce(warehouse, store, signer, mailer, event_id=8)
    [row] = report_rows(warehouse)
    store.put("acme/999/crashed-run.csv", b"day,artist\n")

    # a fresh orphan may belong to a run still in progress: kept
    assert expire_reports(warehouse, store).orphans_deleted == 0
    assert store.exists("acme/999/crashed-run.csv")

    # S3 cannot back-date an object, so the clock moves instead of the object
    later = datetime.now(UTC) + timedelta(seconds=2)
    outcome = expire_reports(warehouse, store, now=later, orphan_age=timedelta(0))
    assert (outcome.expired, outcome.orphans_deleted) == (0, 1)
    assert store.exists(row["object_key"]) and not store.exists("acme/999/crashed-run.csv")


def test_cleanup_removes_orphaned_and_partial_local_files(
    world, warehouse, local_store, signer, mailer
):
    store = local_store
    produce(warehouse, store, signer, mailer, event_id=8)
    [row] = report_rows(warehouse)
    live = store.root / row["object_key"]
    orphan = Path(store.put("acme/999/crashed-run.csv", b"day,artist\n").location)
    partial = store.root / "acme" / "999" / ".left-behind.csv.partial"
    partial.write_bytes(b"half")
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).timestamp()
    for path in (live, orphan, partial):
        os.utime(path, (three_days_ago, three_days_ago))

    outcome = expire_reports(warehouse, store)
    assert outcome.orphans_deleted == 2
    assert live.exists() and not orphan.exists() and not partial.exists()
