"""The course's hand computations for a layer, checked against what Keras built.

Seed 004 teaches output size ``(W−F+2P)/S+1`` per spatial dimension, convolution
parameters ``K·(F·F·D+1)`` and dense parameters ``N·M+M``. Writing the computation out
for every layer lets a student check their own arithmetic, and flagging the layers
where the formula's exact value is not what Keras gives shows where a design is off
(AlexNet on 224×224 inputs: (224−11)/4+1 = 54.25, which Keras floors to 54).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras

from dlworkflow.models.topology import Shape, format_shape

_CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_POOL = (
    keras.layers.MaxPooling1D,
    keras.layers.MaxPooling2D,
    keras.layers.MaxPooling3D,
    keras.layers.AveragePooling1D,
    keras.layers.AveragePooling2D,
    keras.layers.AveragePooling3D,
)


@dataclass(frozen=True)
class FormulaCheck:
    text: str  # the computation written out, e.g. "(227−11+2·0)/4+1 = 55 → 55×55×96; …"
    flagged: bool  # the formula's exact value is not what Keras built
    note: str  # why it is flagged ("" when it is not)


def check_layer(
    layer: keras.Operation, input_shape: Shape, output_shape: Shape, params: int
) -> FormulaCheck | None:
    """The hand computation for a convolution, pooling or dense layer; None for others."""
    if isinstance(layer, _CONV):
        spatial, notes = _spatial(layer, layer.kernel_size, layer.dilation_rate, input_shape)
        depth = _channels(layer, input_shape) // layer.groups
        kernel = "·".join(str(k) for k in layer.kernel_size)
        bias = "+1" if layer.use_bias else ""
        expected = layer.filters * (math.prod(layer.kernel_size) * depth + layer.use_bias)
        weights = f"{layer.filters}·({kernel}·{depth}{bias}) = {expected:,}"
        return _checked(spatial, output_shape, notes, weights, expected, params)
    if isinstance(layer, _POOL):
        spatial, notes = _spatial(layer, layer.pool_size, None, input_shape)
        return _checked(spatial, output_shape, notes, "", 0, params)
    if isinstance(layer, keras.layers.Dense) and input_shape[-1] is not None:
        n, m = input_shape[-1], layer.units
        expected = n * m + m * layer.use_bias
        weights = f"{n}·{m}+{m} = {expected:,}" if layer.use_bias else f"{n}·{m} = {expected:,}"
        return _checked("", output_shape, [], weights, expected, params)
    return None


def _spatial(
    layer: keras.Operation,
    window: tuple[int, ...],
    dilation: tuple[int, ...] | None,
    input_shape: Shape,
) -> tuple[str, list[tuple[float, int]]]:
    """``(W−F+2P)/S+1 = value`` for each spatial axis, and (exact value, axis) pairs."""
    texts, values = [], []
    for index, axis in enumerate(_spatial_axes(layer, len(input_shape))):
        size = input_shape[axis]
        if size is None:
            return "", []
        f = window[index] if dilation is None else (window[index] - 1) * dilation[index] + 1
        s = layer.strides[index]
        total_pad = _total_padding(layer.padding.lower(), size, f, s)
        value = (size - f + total_pad) / s + 1
        texts.append(f"({size}−{f}+2·{_number(total_pad / 2)})/{s}+1 = {_number(value)}")
        values.append((value, axis))
    return ", ".join(dict.fromkeys(texts)), values


def _checked(
    spatial: str,
    output_shape: Shape,
    values: list[tuple[float, int]],
    weights: str,
    expected: int,
    params: int,
) -> FormulaCheck:
    notes = []
    for value, axis in values:
        actual = output_shape[axis]
        if value != int(value):
            notes.append(f"{_number(value)} is not an integer: Keras floors to {actual}")
        elif int(value) != actual:
            notes.append(f"the formula gives {_number(value)}, Keras {actual}")
    if weights and expected != params:
        notes.append(f"the formula gives {expected:,} parameters, Keras {params:,}")
    output = f"{spatial} → {format_shape(output_shape)}" if spatial else ""
    text = "; ".join(part for part in (output, weights) if part)
    return FormulaCheck(text, bool(notes), "; ".join(dict.fromkeys(notes)))


def _total_padding(padding: str, size: int, window: int, stride: int) -> int:
    """2P: none for valid; for same, what keeps ceil(size / stride) outputs; causal: F−1."""
    if padding == "same":
        return max((math.ceil(size / stride) - 1) * stride + window - size, 0)
    return window - 1 if padding == "causal" else 0


def _spatial_axes(layer: keras.Operation, rank: int) -> range:
    """Indices of the spatial axes in a shape without the batch axis."""
    first = 0 if layer.data_format == "channels_last" else 1
    return range(first, first + rank - 1)


def _channels(layer: keras.Operation, input_shape: Shape) -> int:
    return input_shape[-1] if layer.data_format == "channels_last" else input_shape[0]


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0")
