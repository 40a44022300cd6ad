"""Reading rendered PDFs back: page text and the KPI tiles on page 1."""

import io
import re

from pypdf import PdfReader

VALUE = re.compile(r"\s*(not connected yet|n/a|[\d,]+%?)")


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def tile_value(page_text: str, label: str) -> str:
    """The value printed right after a tile's label (labels may wrap over lines)."""
    flat = " ".join(page_text.split())
    match = VALUE.match(flat, flat.index(label) + len(label))
    assert match, f"no value after {label!r}"
    return match[1]
