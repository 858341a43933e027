"""The output layer a task needs, and reading back what a built model ends with."""

from __future__ import annotations

from dataclasses import dataclass

import keras


@dataclass(frozen=True)
class Head:
    units: int
    activation: str


def head_for(task: str, num_classes: int) -> Head:
    """Softmax over classes, one sigmoid for binary, one linear unit for regression."""
    if task == "multiclass":
        return Head(num_classes, "softmax")
    if task == "binary":
        return Head(1, "sigmoid")
    if task == "multilabel":  # one independent yes/no per label
        return Head(num_classes, "sigmoid")
    return Head(1, "linear")


def output_units(model: keras.Model) -> int:
    return int(model.outputs[0].shape[-1])


def output_activation(model: keras.Model) -> str:
    """Name of the activation applied last (``linear`` when there is none)."""
    last = model.layers[-1]
    while isinstance(last, keras.Model) and last.layers:  # a nested model ends the graph
        last = last.layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return "softmax"
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", "linear") if activation is not None else "linear"
