"""The same computations in Keras, to check the hand code against (imported lazily).

``keras_twin`` copies a :class:`Network` into a float64 Keras model with the same
weights; ``train_keras`` runs plain SGD on the full batch, as ``Network.fit`` does;
``keras_conv2d`` and ``keras_max_pool2d`` run ``Conv2D``/``MaxPooling2D`` with a fixed
kernel. Nothing else in ``dlworkflow.scratch`` imports this module (or Keras).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import keras
import numpy as np

from dlworkflow.scratch.network import Network

DTYPE = "float64"
LOSSES = {
    "mse": keras.losses.MeanSquaredError,
    "mae": keras.losses.MeanAbsoluteError,
    "binary_crossentropy": keras.losses.BinaryCrossentropy,
    "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
}


def keras_twin(network: Network) -> keras.Model:
    """A Keras model of the same layers, activations and weights, compiled with SGD."""
    inputs = keras.Input((network.layers[0].W.shape[0],), dtype=DTYPE)
    outputs = inputs
    for layer in network.layers:
        dense = keras.layers.Dense(layer.W.shape[1], activation=layer.activation.name, dtype=DTYPE)
        outputs = dense(outputs)
        dense.set_weights([layer.W, layer.b])
    return keras.Model(inputs, outputs)


@dataclass
class KerasTraining:
    losses: list[float]  # per step, before its update
    weights: list[np.ndarray]  # after the last step, [W1, b1, W2, b2, …]


@contextmanager
def float64_everywhere():
    """floatx = float64 for a while: Keras also keeps the optimizer's learning rate and
    the logged loss in floatx, which would round them to float32."""
    saved = keras.config.floatx()
    keras.config.set_floatx(DTYPE)
    try:
        yield
    finally:
        keras.config.set_floatx(saved)


def train_keras(network: Network, x: np.ndarray, y: np.ndarray, lr: float, steps: int):
    """Train the twin of ``network`` (which is left untouched) for ``steps`` SGD steps.

    ``train_on_batch`` on the whole data is one full-batch step; it returns the loss of
    that step's forward pass, before the update, and costs far less than a ``fit`` epoch.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(len(x), -1)
    with float64_everywhere():
        model = keras_twin(network)
        loss = LOSSES[network.loss.name]()
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=loss)
        losses = [float(model.train_on_batch(x, y)) for _ in range(steps)]
    weights = [np.asarray(w, dtype=np.float64) for w in model.get_weights()]
    return KerasTraining(losses, weights)


def keras_conv2d(
    x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: str = "valid"
) -> np.ndarray:
    """``Conv2D`` with ``kernel`` (k_h, k_w, C, F) fixed and no bias, on one image."""
    x = np.asarray(x, dtype=np.float64)
    x = x[..., None] if x.ndim == 2 else x
    kernel = np.asarray(kernel, dtype=np.float64)
    kernel = kernel[:, :, None, None] if kernel.ndim == 2 else kernel
    layer = keras.layers.Conv2D(
        kernel.shape[3],
        kernel.shape[:2],
        strides=stride,
        padding=padding,
        use_bias=False,
        dtype=DTYPE,
    )
    layer.build((1, *x.shape))
    layer.set_weights([kernel])
    return np.asarray(layer(x[None]))[0]


def keras_max_pool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    x = x[..., None] if x.ndim == 2 else x
    layer = keras.layers.MaxPooling2D(size, strides=stride or size, dtype=DTYPE)
    return np.asarray(layer(x[None]))[0]


def keras_activation(name: str, z: np.ndarray) -> np.ndarray:
    """``keras.activations.<name>`` on a 1-D ``z`` (softmax over the whole vector)."""
    function = keras.activations.get(name)
    z = np.asarray(z, dtype=np.float64)
    return np.asarray(function(keras.ops.convert_to_tensor(z[None])))[0]
