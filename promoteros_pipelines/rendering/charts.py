"""Charts as SVG images (matplotlib, embedded as data: URIs), with labelled axes and units.

Text stays text in the SVG (``svg.fonttype: none``), so it is selectable in the PDF, set in
the report's font, and escaped by matplotlib's XML writer. Labels from the data have ``$``
escaped (matplotlib would read it as maths), line breaks flattened, and characters no font
draws (control, private-use, unassigned) dropped.
"""

import base64
import io
import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence

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


UNDRAWABLE = {"Cc", "Co", "Cn", "Cs"}


def safe_label(text: object, limit: int = 40) -> str:
    """A one-line chart label that matplotlib draws literally."""
    flat = re.sub(r"\s+", " ", str(text))
    flat = "".join(c for c in flat if unicodedata.category(c) not in UNDRAWABLE).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("\\", "\\\\").replace("$", r"\$")


def _to_svg(figure: Figure) -> Markup:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Text stays text in the SVG and the PDF renderer falls back to a font that has the
        # glyph; matplotlib only measures it, so its missing-glyph warning is noise here.
        warnings.filterwarnings("ignore", r"Glyph .* missing from font", UserWarning)
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


def small_multiples(
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    x_label: str,
    title: str,
    highlight_last: bool = True,
    width: float = 6.5,
    height: float = 2.3,
) -> Markup:
    """One bar panel per series, side by side, each on its own axis with its values printed,
    so a series of 29s never flattens a series of 1s. The last bar (this week, today) is
    drawn in the accent colour when ``highlight_last``; missing values are gaps. An x label
    may hold a line break (``"Mon\\n23"``); other text is flattened as everywhere."""
    with rc_context(STYLE):
        figure = _figure(width, height)
        figure.suptitle(safe_label(title, 80), x=0.0, ha="left", color=INK, fontsize=10)
        axes_list = figure.subplots(1, max(1, len(series)), squeeze=False)[0]
        positions = list(range(len(x_labels)))
        for axes, (name, values) in zip(axes_list, series.items(), strict=False):
            heights = [0 if v is None else v for v in values]
            colours = [MUTED] * len(heights)
            if highlight_last and colours:
                colours[-1] = ACCENT
            bars = axes.bar(positions, heights, 0.7, color=colours)
            labels = ["" if v is None else f"{v:,.0f}" for v in values]
            axes.bar_label(bars, labels=labels, fontsize=7.5, color=INK, padding=1.5)
            ticks = ["\n".join(safe_label(line, 12) for line in x.split("\n")) for x in x_labels]
            axes.set_xticks(positions, ticks, fontsize=7.5)
            axes.set_title(safe_label(name, 40), loc="left", color=INK, fontsize=9)
            axes.set_ylim(0, max([*heights, 1]) * 1.18)
            axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
            axes.tick_params(axis="y", labelsize=7.5)
            axes.set_xlabel(safe_label(x_label), fontsize=7.5)
        return _to_svg(figure)


def momentum_dots(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    x_label: str,
    title: str,
    width: float = 6.5,
    height: float | None = None,
) -> Markup:
    """Artists by score, highest on top: a dot per artist with its score printed beside it.

    Top scores bunch together (92-98), so the axis starts a little below the lowest score
    (rounded down to 5) and says so in its label; dots, not bars, because a bar's length
    would exaggerate the gaps on an axis that does not start at zero."""
    with rc_context(STYLE):
        figure = _figure(width, height or max(1.6, 0.26 * len(labels) + 0.9))
        axes = figure.add_subplot()
        order = list(reversed(range(len(labels))))
        low = min(values, default=0.0)
        start = max(0.0, 5 * ((low - 3) // 5))
        axes.hlines(order, start, list(values), color=MUTED, linewidth=1)
        axes.plot(list(values), order, "o", color=ACCENT, markersize=6)
        for y, value in zip(order, values, strict=True):
            axes.annotate(
                f"{value:.0f}",
                (value, y),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color=INK,
            )
        axes.set_xlim(start, 100 + (100 - start) * 0.06)
        axes.set_ylim(-0.6, len(labels) - 0.4)
        axes.set_yticks(order, [safe_label(label, 32) for label in labels])
        axes.tick_params(axis="y", length=0)
        suffix = f"; axis starts at {start:.0f}" if start > 0 else ""
        axes.set_xlabel(safe_label(x_label + suffix, 80))
        axes.set_title(safe_label(title, 80), loc="left", color=INK)
        axes.grid(axis="x", color="#e1e6ef", linewidth=0.6)
        axes.set_axisbelow(True)
        return _to_svg(figure)
