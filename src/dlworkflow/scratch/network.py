"""``Network``: layers in a row, a loss, and plain gradient descent (SGD, full batch).

The loop the notes write out by hand — feedforward, backpropagation, update — is
``forward``, ``backward`` and ``step``; ``fit`` repeats them and records the loss of
every iteration (computed before that iteration's update, as Keras reports it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlworkflow.scratch.layers import Dense
from dlworkflow.scratch.losses import Loss, loss


class Network:
    def __init__(self, layers: Sequence[Dense], loss_name: str = "binary_crossentropy") -> None:
        self.layers = list(layers)
        self.loss: Loss = loss(loss_name)

    def forward(self, x: np.ndarray) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64)
        for layer in self.layers:
            a = layer.forward(a)
        return a

    def backward(self, y: np.ndarray) -> float:
        """Gradients of the loss at the last forward pass into every layer; returns J."""
        y_pred = self.layers[-1].a
        y = np.asarray(y, dtype=np.float64).reshape(y_pred.shape)
        grad = self.loss.gradient(y_pred, y)
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return self.loss.value(y_pred, y)

    def step(self, lr: float) -> None:
        """w = w − learning_rate · ∂J/∂w for every weight and bias."""
        for layer in self.layers:
            layer.W -= lr * layer.dW
            layer.b -= lr * layer.db

    def fit(self, x: np.ndarray, y: np.ndarray, lr: float, iterations: int) -> list[float]:
        """Full-batch gradient descent; the loss of each iteration, before its update."""
        losses = []
        for _ in range(iterations):
            self.forward(x)
            losses.append(self.backward(y))
            self.step(lr)
        return losses

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> float:
        y_pred = self.forward(x)
        return self.loss.value(y_pred, np.asarray(y, dtype=np.float64).reshape(y_pred.shape))

    def weights(self) -> list[np.ndarray]:
        """[W1, b1, W2, b2, …] — Keras' ``get_weights`` order."""
        return [array.copy() for layer in self.layers for array in (layer.W, layer.b)]

    def __repr__(self) -> str:
        return f"Network({self.layers!r}, loss={self.loss.name!r})"
