"""The model's layer table as plain rows (the report and the CLI render them)."""

from __future__ import annotations

import keras


def layer_table(model: keras.Model) -> list[dict]:
    """One row per top-level layer: name, type, output shape, params, trainable.

    A nested model (a VGG16 base inside a classifier) is one row, as in Keras' summary.
    """
    rows = []
    for layer in model.layers:
        rows.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": _shape(layer),
                "params": int(layer.count_params()),
                "trainable": bool(layer.trainable),
            }
        )
    return rows


def param_totals(model: keras.Model) -> dict[str, int]:
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    total = int(model.count_params())
    return {"total": total, "trainable": trainable, "non_trainable": total - trainable}


def _shape(layer: keras.layers.Layer) -> str:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return "?"
    return str(tuple(None if d is None else int(d) for d in shape))
