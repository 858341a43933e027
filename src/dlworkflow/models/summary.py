"""The model's layer table as plain rows (the report, the CLI and the exports read them).

Keras' summary lacks what the course's table asks for — input size, filter size /
stride / padding, the hand formulas — and what a student budgets with: weight and
activation memory, multiply-adds per sample.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import keras

from dlworkflow.models.formulas import check_layer
from dlworkflow.models.macs import multiply_adds
from dlworkflow.models.table import html_model_table
from dlworkflow.models.topology import LayerNode, format_shapes, is_graph_model, walk
from dlworkflow.pages.notebook import html_block

BYTES_PER_VALUE = 4  # float32
MB = 2**20  # as Keras' summary counts megabytes


def layer_table(model: keras.Model, expand_nested: bool = False) -> list[dict]:
    """One row per entry of ``model.layers`` (or per inner layer with ``expand_nested``).

    Keys: name, type, depth (nesting level), input_shape, output_shape (``55×55×96``,
    no batch axis), kernel, stride, padding (windowed layers, else ""), activation,
    params, trainable, activations (output values per sample), macs (multiply-adds
    per sample; None when a size is unknown), formula, formula_flag, formula_note,
    shared (``"call 2 of 2"`` for a layer called more than once, else "").

    A shared layer gets a row per call (each call computes) but its parameters only
    on its first row, so the params column sums to the model's count.
    """
    nodes = walk(model, expand_nested)
    calls = Counter(id(node.layer) for node in nodes)
    seen: Counter[int] = Counter()
    rows = []
    for node in nodes:
        row = _row(node)
        key = id(node.layer)
        seen[key] += 1
        if calls[key] > 1:
            row["shared"] = f"call {seen[key]} of {calls[key]}"
            row["params"] = row["params"] if seen[key] == 1 else 0
        rows.append(row)
    return rows


def param_totals(model: keras.Model) -> dict:
    """Parameter counts, weight and activation memory (MB, float32) and multiply-adds.

    Activation memory sums every layer's output for one sample (the input itself not
    counted), over the innermost layers, so it is the same whether or not nested
    models are expanded in the table. Both are None when some size is unknown.
    """
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    total = int(model.count_params())
    rows = [row for row in layer_table(model, expand_nested=True) if row["type"] != "InputLayer"]
    activations = _known_sum(row["activations"] for row in rows)
    return {
        "total": total,
        "trainable": trainable,
        "non_trainable": total - trainable,
        "weights_mb": total * BYTES_PER_VALUE / MB,
        "activations_mb": None if activations is None else activations * BYTES_PER_VALUE / MB,
        "macs": _known_sum(row["macs"] for row in rows),
    }


class ModelTable(dict):
    """``{"layers": rows, "totals": totals}``: a plain dict that a notebook shows as the table."""

    def _repr_html_(self) -> str:
        return html_block("Model", html_model_table(self["layers"], self["totals"]))


def model_table(model: keras.Model) -> ModelTable:
    """The layer table and totals as plain data: what a run stores in ``model_table.json``
    so that pages built later need no Keras."""
    return ModelTable(layers=layer_table(model), totals=param_totals(model))


def activation_name(layer: keras.Operation) -> str:
    """``relu``, ``softmax``, ``linear``…; "" for a layer without an activation."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        return ""
    return getattr(activation, "__name__", type(activation).__name__)


def _row(node: LayerNode) -> dict:
    layer = node.layer
    params = int(layer.count_params()) if isinstance(layer, keras.layers.Layer) else 0
    single = len(node.input_shapes) == 1 and len(node.output_shapes) == 1
    check = (
        check_layer(layer, node.input_shapes[0], node.output_shapes[0], params) if single else None
    )
    window = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    return {
        "name": node.name,
        "type": type(layer).__name__,
        "depth": len(node.scope),
        "input_shape": format_shapes(node.input_shapes),
        "output_shape": format_shapes(node.output_shapes),
        "kernel": _sizes(window),
        "stride": _sizes(getattr(layer, "strides", None)) if window else "",
        "padding": getattr(layer, "padding", "").lower() if window else "",
        "activation": activation_name(layer),
        "params": params,
        "trainable": bool(getattr(layer, "trainable", False)),
        "activations": _values(node),
        "macs": _macs(node),
        "formula": check.text if check else "",
        "formula_flag": check.flagged if check else False,
        "formula_note": check.note if check else "",
        "shared": "",
    }


def _macs(node: LayerNode) -> int | None:
    """A collapsed nested model costs what its layers cost."""
    if is_graph_model(node.layer):
        return _known_sum(_macs(inner) for inner in walk(node.layer, expand_nested=True))
    return multiply_adds(node.layer, node.input_shapes, node.output_shapes)


def _known_sum(values: Iterable[int | None]) -> int | None:
    values = list(values)
    return None if None in values else sum(values)


def _values(node: LayerNode) -> int | None:
    if any(None in shape for shape in node.output_shapes):
        return None
    return sum(math.prod(shape) for shape in node.output_shapes)


def _sizes(sizes: tuple[int, ...] | None) -> str:
    return "×".join(str(size) for size in sizes) if sizes else ""
