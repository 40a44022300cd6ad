"""Charts as SVG images (matplotlib, embedded as data: URIs), with labelled axes and units.

Text stays text in the SVG (``svg.fonttype: none``), so it is selectable in the PDF, set in
the report's font, and escaped by matplotlib's XML writer. Labels from the data have ``$``
escaped (matplotlib would read it as maths) and line breaks flattened.
"""

import base64
import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from markupsafe import Markup
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

INK = "#1f2a44"
ACCENT = "#e4572e"
MUTED = "#9aa5b8"
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "promoteros",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
}


def safe_label(text: object, limit: int = 40) -> str:
    """A one-line chart label that matplotlib draws literally."""
    flat = re.sub(r"\s+", " ", str(text)).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("\\", "\\\\").replace("$", r"\$")


def _to_svg(figure: Figure) -> Markup:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.S)
    # the report's compact font first: subsetting full DejaVu per PDF is the slow part
    text = text.replace("font-family: 'DejaVu Sans'", "font-family: 'Report Sans', 'DejaVu Sans'")
    # An <img> with a data: URI, not inline <svg>: WeasyPrint then draws it with its SVG
    # renderer instead of cascading the HTML stylesheet over every path (3x faster).
    encoded = base64.b64encode(text.encode()).decode()
    return Markup(f'<img class="chart" alt="chart" src="data:image/svg+xml;base64,{encoded}">')


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=72, layout="constrained")


def comparison_bars(
    categories: Sequence[str],
    this_week: Sequence[float | None],
    last_week: Sequence[float | None],
    *,
    y_label: str,
    title: str,
    width: float = 6.5,
    height: float = 2.6,
) -> Markup:
    """Grouped bars: this week beside last week, per category (missing values drawn as 0)."""
    with rc_context(STYLE):
        figure = _figure(width, height)
        axes = figure.add_subplot()
        positions = range(len(categories))
        axes.bar(
            [p - 0.2 for p in positions],
            [v or 0 for v in last_week],
            0.4,
            color=MUTED,
            label="Previous week",
        )
        bars = axes.bar(
            [p + 0.2 for p in positions],
            [v or 0 for v in this_week],
            0.4,
            color=ACCENT,
            label="This week",
        )
        axes.bar_label(bars, fmt="%g", fontsize=8, color=INK)
        axes.set_xticks(list(positions), [safe_label(c, 24) for c in categories])
        axes.set_ylabel(safe_label(y_label))
        axes.set_title(safe_label(title, 80), loc="left", color=INK)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(frameon=False, fontsize=8)
        return _to_svg(figure)


def daily_lines(
    days: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    y_label: str,
    x_label: str = "Day",
    title: str,
    width: float = 6.5,
    height: float = 2.4,
) -> Markup:
    """One line per series over the days of the period."""
    with rc_context(STYLE):
        figure = _figure(width, height)
        axes = figure.add_subplot()
        colours = [ACCENT, INK, MUTED, "#2e86ab", "#6c9a3b"]
        for index, (name, values) in enumerate(series.items()):
            axes.plot(
                list(days),
                list(values),
                marker="o",
                color=colours[index % len(colours)],
                label=safe_label(name),
            )
        axes.set_xlabel(safe_label(x_label))
        axes.set_ylabel(safe_label(y_label))
        axes.set_title(safe_label(title, 80), loc="left", color=INK)
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1:
            axes.legend(frameon=False, fontsize=8)
        return _to_svg(figure)


def ranked_bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    x_label: str,
    title: str,
    width: float = 6.5,
    height: float | None = None,
) -> Markup:
    """Horizontal bars, largest on top (e.g. artists by momentum score)."""
    with rc_context(STYLE):
        figure = _figure(width, height or max(1.6, 0.28 * len(labels) + 0.9))
        axes = figure.add_subplot()
        order = list(reversed(range(len(labels))))
        axes.barh(order, list(values), color=ACCENT)
        axes.set_yticks(order, [safe_label(label, 32) for label in labels])
        axes.set_xlabel(safe_label(x_label))
        axes.set_title(safe_label(title, 80), loc="left", color=INK)
        return _to_svg(figure)
