"""HTML -> PDF for every report: package templates, autoescaping, and no fetches from outside.

The jinja2 environment autoescapes HTML/XML templates and fails on undefined names, so data
(an artist called ``<script>`` or ``{{7*7}}``) is always text, never markup or template code.
WeasyPrint gets a URL fetcher that serves only files inside this package's ``templates``
directory (and ``data:`` URIs); anything else, including http(s) and other local files, is
refused before a socket or file is opened, so a report cannot leak data or hang on a network.
Fonts come from fontconfig (DejaVu on our machines), which never involves the fetcher.
"""

import functools
import logging
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
BASE_URL = TEMPLATES_DIR.as_uri() + "/"


class RefusedResource(ValueError):
    """A report tried to load something from outside the package's templates."""


class PackageOnlyFetcher(URLFetcher):
    """Serves ``file:`` URLs under ``templates/`` and ``data:`` URIs; refuses everything else.

    ``refused`` keeps the URLs it turned down, so a caller (or a test) can see them.
    """

    def __init__(self, root: Path = TEMPLATES_DIR) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), headers={"Content-Type": kind}
                )
        self.refused.append(url)
        logging.getLogger(__name__).warning("report refused to fetch %s", url[:200])
        raise RefusedResource(f"reports load nothing from outside the package: {url[:200]}")


@functools.cache
def environment() -> Environment:
    """The one jinja2 environment for report templates (shared by the custom reports)."""
    env = Environment(
        loader=PackageLoader("promoteros_pipelines.rendering", "templates"),
        autoescape=select_autoescape(["html", "xml", "html.j2", "xml.j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = format_number
    env.filters["percent"] = format_percent
    return env


@functools.cache
def text_environment() -> Environment:
    """The same templates for text/plain mail parts: nothing is escaped (there is no markup),
    and data is still only ever a value, never template source."""
    return Environment(
        loader=PackageLoader("promoteros_pipelines.rendering", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def format_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "unknown"
    return f"{value:,.{digits}f}"


def format_percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "unknown"
    return f"{value * 100:.{digits}f}%"


def render_html(template_name: str, context: Mapping[str, Any]) -> str:
    """The template rendered with ``context`` (autoescaped)."""
    return environment().get_template(template_name).render(**context)


def html_to_pdf(html: str, fetcher: PackageOnlyFetcher | None = None) -> bytes:
    """PDF bytes for ``html``; relative URLs resolve inside the templates directory."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher or PackageOnlyFetcher())
    return document.write_pdf()  # type: ignore[return-value]


def render_pdf(template_name: str, context: Mapping[str, Any]) -> bytes:
    """Render a package template to PDF bytes, fetching nothing from outside the package."""
    return html_to_pdf(render_html(template_name, context))
