"""Multiply-adds per sample of one layer call, for every layer type with a standard count.

The count is the one papers and TensorFlow's profiler use (its float-op count is twice
this): convolutions, dense and einsum layers, attention and recurrent layers; pooling,
normalisation, activations and merges cost 0 here. In Keras 3 ``DepthwiseConv2D``,
``SeparableConv2D`` and the transposed convolutions are not subclasses of ``Conv``, so
each family is named explicitly — missing one made Xception's total 92 % low.
"""

from __future__ import annotations

import math
import re

import keras
from keras.src.layers.convolutional.base_conv import BaseConv
from keras.src.layers.convolutional.base_conv_transpose import BaseConvTranspose
from keras.src.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
from keras.src.layers.convolutional.base_separable_conv import BaseSeparableConv

Shape = tuple[int | None, ...]


def multiply_adds(
    layer: keras.Operation, input_shapes: tuple[Shape, ...], output_shapes: tuple[Shape, ...]
) -> int | None:
    """Multiply-adds of one call with these per-sample shapes; None when a size is unknown."""
    if not _counted(layer):
        return 0
    if any(None in shape for shape in (*input_shapes, *output_shapes)):
        return None
    return _count(layer, input_shapes[0], output_shapes[0], input_shapes)


def _counted(layer: keras.Operation) -> bool:
    if isinstance(layer, keras.layers.TimeDistributed):
        return _counted(layer.layer)
    if isinstance(layer, keras.layers.Bidirectional):
        return _counted(layer.forward_layer)
    if isinstance(layer, keras.layers.RNN):  # cells of their own making have no standard count
        return hasattr(layer.cell, "kernel") and hasattr(layer.cell, "recurrent_kernel")
    return isinstance(layer, _COUNTED)


def _count(
    layer: keras.Operation, shape_in: Shape, shape_out: Shape, inputs: tuple[Shape, ...]
) -> int:
    if isinstance(layer, keras.layers.TimeDistributed):  # the inner layer once per step
        inner_in, inner_out = shape_in[1:], shape_out[1:]
        return shape_in[0] * _count(layer.layer, inner_in, inner_out, (inner_in,))
    if isinstance(layer, keras.layers.Bidirectional):
        return sum(
            _count(rnn, shape_in, shape_out, inputs)
            for rnn in (layer.forward_layer, layer.backward_layer)
        )
    if isinstance(layer, keras.layers.Dense):
        return math.prod(shape_out) * shape_in[-1]
    if isinstance(layer, keras.layers.EinsumDense):
        return _einsum_dense(layer, shape_out)
    if isinstance(layer, BaseConv):  # Conv1D/2D/3D, grouped: k·(in/groups) per output value
        per_value = math.prod(layer.kernel_size) * _channels(layer, shape_in) // layer.groups
        return math.prod(shape_out) * per_value
    if isinstance(layer, BaseDepthwiseConv):  # one k-window per output value
        return math.prod(shape_out) * math.prod(layer.kernel_size)
    if isinstance(layer, BaseSeparableConv):  # depthwise, then a 1×1 conv to `filters`
        middle = _channels(layer, shape_in) * layer.depth_multiplier
        return (
            math.prod(_spatial(layer, shape_out))
            * middle
            * (math.prod(layer.kernel_size) + layer.filters)
        )
    if isinstance(layer, BaseConvTranspose):  # every input value scattered over k·filters
        spatial_in = math.prod(_spatial(layer, shape_in))
        per_value = math.prod(layer.kernel_size) * layer.filters
        return spatial_in * _channels(layer, shape_in) * per_value
    if isinstance(layer, _CONV_LSTM):  # both convolutions, every step
        cell = layer.cell
        per_step = math.prod(cell.kernel.shape) + math.prod(cell.recurrent_kernel.shape)
        return shape_in[0] * math.prod(_spatial(cell, shape_out[-len(shape_in) + 1 :])) * per_step
    if isinstance(layer, keras.layers.RNN):  # LSTM 4·(n+m)·m, GRU 3·(n+m)·m per step
        cell = layer.cell
        per_step = math.prod(cell.kernel.shape) + math.prod(cell.recurrent_kernel.shape)
        return shape_in[0] * per_step
    if isinstance(layer, (keras.layers.MultiHeadAttention, keras.layers.GroupQueryAttention)):
        return _multi_head(layer, inputs)
    # Attention / AdditiveAttention: scores q·k and the weighted sum of values
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    return math.prod(query[:-1]) * math.prod(value[:-1]) * (key[-1] + value[-1])


def _multi_head(layer: keras.Operation, inputs: tuple[Shape, ...]) -> int:
    """Four projections (each token through its kernel) and the two attention products."""
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    q_tokens, k_tokens = math.prod(query[:-1]), math.prod(key[:-1])
    v_tokens = math.prod(value[:-1])
    projections = {
        "_query_dense": q_tokens,
        "_key_dense": k_tokens,
        "_value_dense": v_tokens,
        "_output_dense": q_tokens,
        "_gate_dense": q_tokens,
    }
    total = sum(
        tokens * math.prod(getattr(layer, name).kernel.shape)
        for name, tokens in projections.items()
        if getattr(layer, name, None) is not None
    )
    if isinstance(layer, keras.layers.MultiHeadAttention):
        heads, key_dim, value_dim = layer.num_heads, layer.key_dim, layer.value_dim
    else:
        heads, key_dim, value_dim = layer.num_query_heads, layer.head_dim, layer.head_dim
    return total + heads * q_tokens * k_tokens * (key_dim + value_dim)


def _einsum_dense(layer: keras.Operation, shape_out: Shape) -> int:
    """Every output value sums over the kernel's axes that the output does not keep."""
    _, kernel_letters, output_letters = re.split(r",|->", layer.equation.replace(" ", ""))
    contracted = [
        size
        for letter, size in zip(kernel_letters, layer.kernel.shape, strict=True)
        if letter not in output_letters
    ]
    return math.prod(shape_out) * math.prod(contracted)


def _spatial(layer: keras.Operation, shape: Shape) -> Shape:
    return shape[:-1] if layer.data_format == "channels_last" else shape[1:]


def _channels(layer: keras.Operation, shape: Shape) -> int:
    return shape[-1] if layer.data_format == "channels_last" else shape[0]


_CONV_LSTM = (keras.layers.ConvLSTM1D, keras.layers.ConvLSTM2D, keras.layers.ConvLSTM3D)
_COUNTED = (
    keras.layers.Dense,
    keras.layers.EinsumDense,
    BaseConv,
    BaseDepthwiseConv,
    BaseSeparableConv,
    BaseConvTranspose,
    keras.layers.MultiHeadAttention,
    keras.layers.GroupQueryAttention,
    keras.layers.Attention,
)
