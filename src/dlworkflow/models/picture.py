"""Which architecture picture suits a model."""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
from matplotlib.figure import Figure

from dlworkflow.errors import BadInput
from dlworkflow.figures import save_figure
from dlworkflow.models.graph import draw_graph
from dlworkflow.models.layered import layered_view
from dlworkflow.models.neurons import dense_widths, neuron_diagram


def architecture_figure(model: keras.Model, title: str | None = None) -> Figure:
    """The neuron diagram for a dense net (as the course draws an MLP), else the layered view."""
    if dense_widths(model) is not None:
        return neuron_diagram(model, title)
    return layered_view(model, title)


def save_drawings(
    model: keras.Model, folder: Path, rankdir: str = "TB", expand_nested: bool = False
) -> tuple[list[Path], str | None]:
    """Write the graph (SVG and PNG) and the architecture picture into ``folder``.

    Returns the paths written and, when Graphviz is missing, the one-line reason the
    graph was skipped: the rest of the drawings must not depend on a system package.
    """
    written = [save_figure(architecture_figure(model, model.name), folder / "architecture.svg")]
    try:
        for suffix in ("svg", "png"):
            written.append(
                draw_graph(model, folder / f"model_graph.{suffix}", rankdir, expand_nested)
            )
    except BadInput as missing:
        if shutil.which("dot") is not None:
            raise
        return written, str(missing)
    return written, None
