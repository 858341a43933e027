"""Traced forward and gradient steps: the one module that imports TensorFlow.

Every interpretation method needs the same thing — run a (probe) model, reduce its
outputs to one score per sample, differentiate — and only this step depends on the
backend. Each step is a ``tf.function`` with a fixed signature (any batch size), so it
is traced once per model and afterwards runs as one graph; TensorFlow's tape then only
computes the backward pass between the score and the tensor asked for (for Grad-CAM
the small head above a conv layer, not the path down to the input). The callers keep
the returned functions (see :func:`dlworkflow.interpret.probe.cached`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import keras
import numpy as np

from dlworkflow.train.precision import float32_array

# (the model's outputs as a list, one int32 target per sample) -> one score per sample;
# the target is a class id, -1 for "the predicted class", or a filter number
Score = Callable[[Sequence, object], object]
GradientStep = Callable[[np.ndarray, np.ndarray], tuple[list[np.ndarray], np.ndarray]]


def gradient_function(
    model: keras.Model,
    score: Score,
    wrt_output: int | None = None,
    tracing: Callable[[], AbstractContextManager] = nullcontext,
) -> GradientStep:
    """``step(x, targets) -> (outputs, d sum(score) / d target tensor)`` for batches of ``x``.

    The target tensor is the input (``wrt_output=None``) or the model's output number
    ``wrt_output`` — an intermediate activation when ``model`` is a probe. Samples do not
    interact, so the gradient of the summed score holds each sample's own gradient.
    ``tracing`` is entered while the graph is traced, so what it sets (a linear head)
    is baked into the graph and the model is left as it was.
    """
    tf = _tensorflow()

    @tf.function(input_signature=[_input_spec(tf, model), tf.TensorSpec((None,), tf.int32)])
    def step(x, targets):
        with tf.GradientTape() as tape:
            tape.watch(x)
            with tracing():
                outputs = _as_list(model(x, training=False))
            total = tf.reduce_sum(score(outputs, targets))
        grad = tape.gradient(total, x if wrt_output is None else outputs[wrt_output])
        if grad is None:
            raise ValueError("the score does not depend on the chosen tensor")
        return outputs, grad

    def run(x: np.ndarray, targets: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        outputs, grad = step(np.asarray(x, np.float32), np.asarray(targets, np.int32))
        return [float32_array(o) for o in outputs], float32_array(grad)

    return run


def forward_function(model: keras.Model) -> Callable[[np.ndarray], list[np.ndarray]]:
    """``forward(x) -> outputs`` (a list), traced once for every batch size.

    Cheaper per call than ``model.predict`` (no data pipeline) and than an eager call.
    """
    tf = _tensorflow()

    @tf.function(input_signature=[_input_spec(tf, model)])
    def forward(x):
        return _as_list(model(x, training=False))

    return lambda x: [float32_array(o) for o in forward(np.asarray(x, np.float32))]


def _tensorflow():
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise NotImplementedError(
            f"interpretation gradients need the TensorFlow backend; KERAS_BACKEND is "
            f"'{backend}' (set KERAS_BACKEND=tensorflow)"
        )
    import tensorflow as tf

    return tf


def _input_spec(tf, model: keras.Model):
    return tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)


def _as_list(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
