"""Reading rendered PDFs back: page text and the KPI tiles on page 1."""

import io
import re

from pypdf import PdfReader

VALUE = re.compile(r"\s*(not connected yet|no runs|no calls yet|none yet|[\d,]+%?)")


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str | list[str]) -> str:
    """Page text (or several pages') with all whitespace runs as one space."""
    return " ".join((" ".join(text) if isinstance(text, list) else text).split())


def between(text: str, start: str, end: str | None = None) -> str:
    """The flattened text from ``start`` up to ``end`` (or the end)."""
    text = flat(text)
    begin = text.index(start)
    stop = text.index(end, begin) if end else len(text)
    return text[begin:stop]


def tile_value(page_text: str, label: str) -> str:
    """The value printed right after a tile's label (labels may wrap over lines)."""
    flat = " ".join(page_text.split())
    match = VALUE.match(flat, flat.index(label) + len(label))
    assert match, f"no value after {label!r}"
    return match[1]
