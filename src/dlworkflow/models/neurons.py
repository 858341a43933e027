"""The course's picture of a small dense net: columns of neurons joined by edges.

Seeds 001/002 draw an MLP as "input layer", "hidden layer 1…", "output layer" with
every neuron linked to every neuron of the next layer. Layers wider than
``MAX_SHOWN`` are drawn with their first and last neurons, a "⋮" and their size.
"""

from __future__ import annotations

import math

import keras
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from dlworkflow.errors import BadInput
from dlworkflow.figures import plt
from dlworkflow.models.summary import activation_name
from dlworkflow.models.topology import shape_of, walk

MAX_SHOWN = 16
RADIUS = 0.3
_ROLES = {"input": "#8cd17d", "hidden": "#79a6d2", "output": "#f1a340"}
_PASS_THROUGH = (keras.layers.Dropout, keras.layers.Flatten, keras.layers.InputLayer)


def dense_widths(model: keras.Model) -> list[tuple[int, str]] | None:
    """(units, activation) per column, the input first, if the model is a plain dense net.

    Dense, Dropout, Flatten and Activation layers only; None for anything else.
    """
    if len(model.inputs) != 1 or None in shape_of(model.inputs[0]):
        return None
    columns = [(math.prod(shape_of(model.inputs[0])), "")]
    for node in walk(model, expand_nested=True):
        layer = node.layer
        if isinstance(layer, keras.layers.Dense) and len(node.input_shapes[0]) == 1:
            columns.append((layer.units, activation_name(layer)))
        elif isinstance(layer, keras.layers.Activation):
            columns[-1] = (columns[-1][0], activation_name(layer))
        elif not isinstance(layer, _PASS_THROUGH):
            return None
    return columns if len(columns) > 1 else None


def neuron_diagram(model: keras.Model, title: str | None = None) -> Figure:
    """Input, hidden and output layers as columns of circles, every pair joined."""
    columns = dense_widths(model)
    if columns is None:
        raise BadInput(
            f"model '{model.name}': a neuron diagram needs a dense net (Dense, Dropout, "
            "Flatten, Activation layers only); draw it with layered_view instead"
        )
    shown = [_rows(units) for units, _ in columns]
    top = max(max(ys) for ys, _ in shown) + 1.0
    bottom = -top
    spacing = max(4.0, 0.5 * (top - bottom))  # tall columns need room for their labels
    width, height = (len(columns) - 1) * spacing + 3.0, top - bottom + 3.5
    inches = max(0.4, 4.5 / height)  # per unit: labels keep their size in small nets
    figure, axes = plt.subplots(figsize=(inches * width, inches * height))
    for index in range(len(columns) - 1):
        x0, x1 = index * spacing, (index + 1) * spacing
        for y0 in shown[index][0]:
            for y1 in shown[index + 1][0]:
                axes.plot([x0, x1], [y0, y1], color="#888888", lw=0.5, alpha=0.6, zorder=1)
    for index, ((units, activation), (ys, gap)) in enumerate(zip(columns, shown, strict=True)):
        x = index * spacing
        role, label = _role(index, len(columns))
        for y in ys:
            axes.add_patch(Circle((x, y), RADIUS, facecolor=_ROLES[role], ec="#333333", zorder=2))
        if gap is not None:
            axes.text(x, gap, "⋮", ha="center", va="center", fontsize=14)
        axes.text(x, top, label, ha="center", va="bottom", fontsize=10, weight="bold")
        size = f"{units} neurons" + (f"\n{activation}" if activation else "")
        axes.text(x, bottom, size, ha="center", va="top", fontsize=9)
    axes.set_xlim(-1.5, width - 1.5)
    axes.set_ylim(bottom - 1.6, top + 1.0)
    axes.set_aspect("equal")
    axes.axis("off")
    if title:
        axes.set_title(title)
    return figure


def _rows(units: int) -> tuple[list[float], float | None]:
    """Heights of the neurons drawn (centred on 0) and of the "⋮" when some are left out."""
    if units <= MAX_SHOWN:
        return [(units - 1) / 2 - j for j in range(units)], None
    slots = [(MAX_SHOWN - 1) / 2 - j for j in range(MAX_SHOWN)]
    gap = MAX_SHOWN // 2
    return slots[:gap] + slots[gap + 1 :], slots[gap]


def _role(index: int, count: int) -> tuple[str, str]:
    if index == 0:
        return "input", "input layer"
    if index == count - 1:
        return "output", "output layer"
    return "hidden", f"hidden layer {index}"
