"""The reports as a reader sees them: every page rasterised (PDFium, through pypdfium2).

Text assertions live in ``test_render.py`` (pypdf); here each page must be an A4 page with
ink on it (no blank or nearly blank page). Set ``PROMOTEROS_REPORT_PNG_DIR`` to keep the PNGs
and look at them.
"""

import os
import shutil
from pathlib import Path

import pypdfium2
from PIL import Image

from promoteros_pipelines.defs.reports import kpis
from promoteros_pipelines.defs.reports.periods import parse_week
from promoteros_pipelines.defs.reports.weekly import RunStats, render_weekly_set
from tests.defs.reports.world import WEEK, seed_world


def rasterise(pdf: bytes, folder: Path, stem: str, dpi: int = 40) -> list[Path]:
    """One PNG per page, as ``pdftoppm -png`` would name them (``stem-1.png``, ...)."""
    document = pypdfium2.PdfDocument(pdf)
    paths = []
    for number, page in enumerate(document, start=1):
        path = folder / f"{stem}-{number}.png"
        page.render(scale=dpi / 72).to_pil().save(path)
        paths.append(path)
    document.close()
    return paths


def ink(image: Image.Image) -> float:
    """Share of pixels that are not (near) white."""
    grey = image.convert("L")
    dark = sum(grey.histogram()[:235])
    return dark / (grey.width * grey.height)


def test_every_page_is_an_a4_page_with_something_on_it(warehouse, tmp_path):
    seed_world(warehouse.database_url)
    org = kpis.organisation(warehouse, "northern-lights-live")
    runs = RunStats([("a", "SUCCESS")], [])
    reports = render_weekly_set(warehouse, org, parse_week(WEEK, org.time_zone), runs)
    keep = os.environ.get("PROMOTEROS_REPORT_PNG_DIR")

    counts = {}
    for report in reports:
        stem = report.filename.removesuffix(".pdf")
        images = rasterise(report.pdf, tmp_path, stem)
        counts[report.role, report.venue_slug] = len(images)
        for number, path in enumerate(images, start=1):
            with Image.open(path) as image:
                assert abs(image.height / image.width - 297 / 210) < 0.01, path.name
                assert ink(image) > 0.02, f"{report.filename} page {number} is nearly blank"
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(path, Path(keep) / path.name)
    assert counts[("executive", None)] == 2
    assert counts[("venue", "venue-0")] == counts[("venue", "venue-1")] == 2
