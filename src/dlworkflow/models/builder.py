"""Build a Keras model from the config's explicit layer list."""

from __future__ import annotations

import difflib
import re
from typing import Any

import keras

from dlworkflow.errors import BadInput


def layer_from_entry(entry: Any, path: str) -> keras.layers.Layer:
    """``{Dense: {units: 10, activation: softmax}}``, ``{Flatten: null}`` or ``Flatten``."""
    if isinstance(entry, str):
        name, arguments = entry, {}
    elif isinstance(entry, dict) and len(entry) == 1:
        name, arguments = next(iter(entry.items()))
        arguments = arguments or {}
    else:
        raise BadInput(
            f"{path}: write a layer as {{LayerName: {{argument: value}}}}, got {entry!r}"
        )
    layer_class = getattr(keras.layers, str(name), None)
    if not (isinstance(layer_class, type) and issubclass(layer_class, keras.layers.Layer)):
        candidates = [n for n in dir(keras.layers) if n[:1].isupper()]
        close = difflib.get_close_matches(str(name), candidates, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise BadInput(f"{path}: '{name}' is not a Keras layer{hint}")
    if not isinstance(arguments, dict):
        raise BadInput(f"{path}.{name}: arguments must be a mapping, got {arguments!r}")
    try:
        return layer_class(**arguments)
    except (TypeError, ValueError) as error:
        raise BadInput(f"{path}.{name}: {error}") from None


def build_from_layers(
    layers: list[Any], input_shape: tuple[int, ...], name: str = "model"
) -> keras.Model:
    """A Sequential model over ``layers`` for inputs of ``input_shape``."""
    if not layers:
        raise BadInput("model.layers: the list is empty; give at least the output layer")
    built = [layer_from_entry(entry, f"model.layers[{i}]") for i, entry in enumerate(layers)]
    model = keras.Sequential([keras.Input(shape=input_shape)], name=_model_name(name))
    shape: tuple = (None, *input_shape)
    for index, layer in enumerate(built):
        try:
            model.add(layer)
        except (ValueError, TypeError) as error:
            raise BadInput(
                f"model.layers[{index}] ({type(layer).__name__}): does not fit its input "
                f"shape {shape}: {keras_reason(error)}"
            ) from None
        shape = tuple(layer.output.shape)
    return model


def keras_reason(error: Exception) -> str:
    """The line of a Keras error that says what is wrong, without terminal colours.

    Keras wraps layer errors as "Exception encountered when calling X.call()." followed
    by the real reason a few lines down.
    """
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    useful = [line for line in lines if not line.startswith("Exception encountered")]
    return (useful or lines or [type(error).__name__])[0]


def _model_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name) or "model"
