"""PDF custom reports go through the reports package's renderer; read back with pypdf.

Skipped (saying why) where the PDF stack (reports.render, WeasyPrint, pypdf) is not installed.
"""

import io

import pytest
from custom_report_support import PUBLIC_URL, report_rows, request

from promoteros_pipelines.defs.custom_reports.service import produce_report

pytest.importorskip("promoteros_pipelines.rendering.render", reason="the PDF renderer is missing")
PdfReader = pytest.importorskip("pypdf", reason="pypdf reads the PDF back").PdfReader
render_report_pdf = pytest.importorskip(
    "promoteros_pipelines.defs.custom_reports.pdf"
).render_report_pdf


def test_a_pdf_report_downloads_and_reads_back(
    world, warehouse, store, signer, mailer, smtp, downloader
):
    outcome = produce_report(
        warehouse=warehouse,
        store=store,
        signer=signer,
        mailer=mailer,
        public_url=PUBLIC_URL,
        event_id=11,
        payload=request(format="pdf", title="<script>alert(1)</script> {{7*7}}"),
        pdf=render_report_pdf,
    )
    assert outcome.status == "sent"
    [row] = report_rows(warehouse)
    content = store.read(row["object_key"])
    assert content.startswith(b"%PDF")

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "<script>alert(1)</script> {{7*7}}" in text
    assert "Nova Lights" in text and "Acme Live" in text
    assert "1,005" in text  # Nova's first London day, from the daily values

    body = smtp.received[0].message.get_body(preferencelist=("plain",)).get_content()
    link = body.split(PUBLIC_URL, 1)[1].split()[0]
    response = downloader.fetch(link)
    assert response.status_code == 200 and response.content == content
    assert response.headers["content-type"] == "application/pdf"
    assert row["path"].endswith(row["object_key"])
