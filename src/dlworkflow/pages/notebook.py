"""Small HTML for Jupyter's ``_repr_html_``: escaped tables and figures as PNG data URIs.

A notebook shows an object's ``_repr_html_`` inline. These pieces build it from the
object's plain data: every cell is escaped (names come from configs and run folders that
someone else may have written), figures are ``<img>`` data URIs, and nothing runs script.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from dlworkflow.pages.kit import number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NOTEBOOK_DPI = 80  # inline pictures: readable, and a notebook stays a few hundred kB


def cell(value: object) -> Markup:
    """One value as escaped text: numbers as the pages print them, Markup as it is."""
    return value if isinstance(value, Markup) else escape(number(value))


def html_table(
    rows: Iterable[Sequence[object]],
    header: Sequence[str] | None = None,
    caption: str | None = None,
) -> Markup:
    """A plain ``<table>``: an optional caption and header row, one ``<tr>`` per row."""
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{escape(caption)}</caption>")
    if header:
        parts.append("<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>")
        parts.append("</thead>")
    parts.append("<tbody>")
    parts += ["<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows]
    parts.append("</tbody></table>")
    return Markup("".join(parts))


def figure_html(figure: Figure, alt: str = "") -> Markup:
    """The figure as an inline PNG ``<img>``; the figure is closed (drawn once, kept nowhere)."""
    from dlworkflow.figures import plt

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=NOTEBOOK_DPI, bbox_inches="tight")
    finally:
        plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Markup(f'<img alt="{escape(alt)}" src="data:image/png;base64,{encoded}">')


def html_block(title: str, *parts: Markup | str) -> str:
    """A titled block of tables and pictures: what ``_repr_html_`` returns."""
    body = "".join(str(part if isinstance(part, Markup) else escape(part)) for part in parts)
    return f"<div><h4>{escape(title)}</h4>{body}</div>"
