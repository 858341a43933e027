"""The layered view (as visualkeras draws it): each layer a box the size of its output.

Sizes are log-scaled so a 224×224 input and a 7×7 map, or 3 and 512 channels, fit one
figure; a Dense or Flatten output is a thin bar whose height grows with its length.
Boxes go left to right in data-flow order, a long net wrapping onto further lines like
text (branches are not drawn; the graph drawing shows those).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Polygon

from dlworkflow.figures import plt
from dlworkflow.models.palette import darken, layer_kind, lighten
from dlworkflow.models.topology import Shape, format_shape, shape_of, walk

GAP = 0.9  # space between boxes
BAR_WIDTH = 0.35
CHANNEL_SCALE = 0.35  # channels are drawn narrower than they are tall
OBLIQUE = 0.45  # how far the receding side goes, per unit of width
LINE_EXTENT = 110.0  # a longer net wraps onto further lines (22 inches at 0.2 in/unit)
LABEL_ROOM = 4.5  # under each line, for the sizes written there


@dataclass(frozen=True)
class Box:
    """One layer's box: front face ``width × height``, receding ``depth``."""

    type_name: str
    shape: Shape
    width: float
    height: float
    depth: float


def layered_view(model: keras.Model, title: str | None = None) -> Figure:
    """Boxes for the inputs and every layer (nested models opened up), with a legend."""
    inputs = [_box("InputLayer", shape_of(tensor)) for tensor in model.inputs]
    layers = [
        _box(type(node.layer).__name__, node.output_shapes[0])
        for node in walk(model, expand_nested=True)
        if not isinstance(node.layer, keras.layers.InputLayer)
    ]
    boxes = inputs + layers
    lines = _wrap(boxes)
    extent = max(sum(_advance(box) for box in line) for line in lines)
    bands = [_band(line) for line in lines]
    height = sum(above + below + LABEL_ROOM for above, below in bands)
    figure, axes = plt.subplots(
        figsize=(min(max(extent * 0.2, 6.0), 22.0), max(4.8, min(height * 0.2, 60.0)))
    )
    top = 0.0
    for line, (above, below) in zip(lines, bands, strict=True):
        centre = top - above  # boxes are centred on this height
        x = 0.0
        for box in line:
            _draw(axes, box, x, centre, below)
            x += _advance(box)
        top = centre - below - LABEL_ROOM
    axes.set_xlim(-GAP, extent)
    axes.set_ylim(top, 0.5)
    axes.set_aspect("equal")
    axes.axis("off")
    axes.legend(handles=_legend(boxes), loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    if title:
        axes.set_title(title)
    return figure


def _wrap(boxes: list[Box]) -> list[list[Box]]:
    """Boxes in lines no longer than LINE_EXTENT, so a 130-layer net stays readable."""
    lines: list[list[Box]] = [[]]
    used = 0.0
    for box in boxes:
        if lines[-1] and used + _advance(box) > LINE_EXTENT:
            lines.append([])
            used = 0.0
        lines[-1].append(box)
        used += _advance(box)
    return lines


def _advance(box: Box) -> float:
    return box.width + box.depth * OBLIQUE + GAP


def _band(line: list[Box]) -> tuple[float, float]:
    """How far a line's boxes reach above and below their centre."""
    above = max(box.height / 2 + box.depth * OBLIQUE for box in line)
    return above, max(box.height for box in line) / 2


def _box(type_name: str, shape: Shape) -> Box:
    """Height ← rows, depth ← columns, width ← channels; a bar for a vector."""
    known = tuple(1 if size is None else size for size in shape)
    if len(known) <= 1:
        return Box(type_name, shape, BAR_WIDTH, _log(known[0] if known else 1), 0.0)
    rows, columns, channels = (known[0], 1, known[1]) if len(known) == 2 else known[-3:]
    return Box(type_name, shape, CHANNEL_SCALE * _log(channels), _log(rows), _log(columns))


def _draw(axes, box: Box, x: float, centre: float, below: float) -> None:
    """Front face, top and side as three shaded polygons; the shape written below."""
    _, colour = layer_kind(box.type_name)
    bottom, top = centre - box.height / 2, centre + box.height / 2
    right = x + box.width
    dx = dy = box.depth * OBLIQUE
    faces = [
        ([(x, bottom), (right, bottom), (right, top), (x, top)], colour),
        (
            [(x, top), (right, top), (right + dx, top + dy), (x + dx, top + dy)],
            lighten(colour, 0.4),
        ),
        (
            [(right, bottom), (right + dx, bottom + dy), (right + dx, top + dy), (right, top)],
            darken(colour, 0.3),
        ),
    ]
    for corners, fill in faces:
        axes.add_patch(Polygon(corners, closed=True, facecolor=fill, edgecolor="#333333", lw=0.6))
    axes.text(
        x + (box.width + dx) / 2,
        centre - below - 0.4,
        format_shape(box.shape),
        rotation=90,
        ha="center",
        va="top",
        fontsize=8,
    )


def _legend(boxes: list[Box]) -> list[Patch]:
    """One entry per colour, naming the layer types drawn in it."""
    types_by_colour: dict[str, list[str]] = {}
    for box in boxes:
        names = types_by_colour.setdefault(layer_kind(box.type_name)[1], [])
        if box.type_name not in names:
            names.append(box.type_name)
    return [
        Patch(facecolor=colour, edgecolor="#333333", label=" / ".join(names))
        for colour, names in types_by_colour.items()
    ]


def _log(size: int) -> float:
    return 1.0 + math.log2(max(size, 1))
