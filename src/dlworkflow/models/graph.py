"""The model as a graph drawing (as ``plot_model``): a box per layer, arrows for data.

Edges follow the real data flow recorded by Keras, so the skip connection of a
residual block arrives at its ``Add`` box. Drawn by Graphviz through pydot.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import keras

from dlworkflow.atomic import write_bytes
from dlworkflow.errors import BadInput
from dlworkflow.models.palette import layer_kind, lighten
from dlworkflow.models.topology import LayerNode, format_shapes, walk

if TYPE_CHECKING:
    import pydot

FORMATS = ("svg", "png", "pdf")
GRAPHVIZ_DPI = 96  # Graphviz's default for bitmaps
MIN_PNG_WIDTH = 640  # px: a narrow drawing is rendered sharper, so it can be read enlarged
MAX_PNG_DPI = 288


def model_dot(model: keras.Model, rankdir: str = "TB", expand_nested: bool = False) -> pydot.Dot:
    """A ``pydot.Dot`` with one node per layer (named by its path) and the data-flow edges.

    Nested models that are expanded become dashed clusters labelled with their name.
    """
    pydot = _import_pydot()
    if rankdir not in ("TB", "LR"):
        raise BadInput(f"rankdir: '{rankdir}' is not TB (top to bottom) or LR (left to right)")
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, nodesep="0.25", ranksep="0.35")
    dot.set_node_defaults(shape="plaintext", fontname="Helvetica", fontsize="11")
    dot.set_edge_defaults(color="#555555", arrowsize="0.7")
    nodes = walk(model, expand_nested)
    clusters = {(): dot}
    for node in nodes:
        _cluster(pydot, clusters, node.scope).add_node(pydot.Node(node.name, label=_label(node)))
    for node in nodes:
        for parent in node.parents:
            dot.add_edge(pydot.Edge(parent, node.name))
    return dot


def draw_graph(
    model: keras.Model, path: str | Path, rankdir: str = "TB", expand_nested: bool = False
) -> Path:
    """Write the graph drawing to ``path``; the suffix picks the format (.svg, .png, .pdf)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise BadInput(f"{path}: a graph drawing is written as {', '.join(FORMATS)}")
    dot = model_dot(model, rankdir, expand_nested)
    if shutil.which("dot") is None:
        raise BadInput(
            "Graphviz's 'dot' program is not installed; install it with "
            "'apt-get install graphviz' (Debian/Ubuntu) or 'brew install graphviz' (macOS)"
        )
    drawn = dot.create(prog="dot", format=fmt)
    if fmt == "png":  # a deep net drawn top to bottom is a narrow strip: raise the dpi
        width = int.from_bytes(drawn[16:20], "big")  # the PNG header's IHDR width
        if 0 < width < MIN_PNG_WIDTH:
            dot.set_dpi(round(min(GRAPHVIZ_DPI * MIN_PNG_WIDTH / width, MAX_PNG_DPI)))
            drawn = dot.create(prog="dot", format=fmt)
    return write_bytes(path, drawn)


def _import_pydot():
    """pydot is imported only when a graph is drawn, so the rest works without it."""
    try:
        import pydot
    except ImportError:
        raise BadInput("graph drawings need pydot; install it with 'pip install pydot'") from None
    return pydot


def _cluster(pydot, clusters: dict, scope: tuple[str, ...]):
    """The (possibly nested) dashed box for the models a node sits in."""
    if scope not in clusters:
        cluster = pydot.Cluster(
            "_".join(scope).replace("/", "_"), label=scope[-1], style="dashed", labeljust="l"
        )
        _cluster(pydot, clusters, scope[:-1]).add_subgraph(cluster)
        clusters[scope] = cluster
    return clusters[scope]


def _label(node: LayerNode) -> str:
    """An HTML-like Graphviz label: name and type on a coloured band, then the shapes."""
    _, colour = layer_kind(type(node.layer).__name__)
    name = html.escape(node.name.rsplit("/", 1)[-1])
    kind = html.escape(type(node.layer).__name__)
    band = lighten(colour, 0.45)
    rows = [f'<tr><td colspan="2" bgcolor="{band}"><b>{name}</b> ({kind})</td></tr>']
    if node.input_shapes:
        rows.append(
            f"<tr><td>input</td><td>{html.escape(format_shapes(node.input_shapes))}</td></tr>"
        )
    rows.append(
        f"<tr><td>output</td><td>{html.escape(format_shapes(node.output_shapes))}</td></tr>"
    )
    table = '<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
    return f"<{table}{''.join(rows)}</table>>"
