"""``Dense``: one fully connected layer, Z = X·W + b, A = f(Z), as a small object.

This is the notes' exercise "write the layers as objects": each layer keeps what its
forward pass saw, so its backward pass can apply the notes' matrix rules

    ∂J/∂W = Xᵀ·δ,   ∂J/∂b = sum(δ) over the samples,   ∂J/∂X = δ·Wᵀ,

with δ = ∂J/∂Z = ∂J/∂A ⊗ f'(Z) (element-wise, "⊗" in the notes).
"""

from __future__ import annotations

import numpy as np

from dlworkflow.scratch.activations import Activation, activation


class Dense:
    """``units`` neurons fed by ``inputs`` values; weights W (inputs × units), bias b.

    Without ``weights``, W is drawn Glorot-uniform from ``rng`` (default: a generator
    seeded 0, so the same layer built twice starts alike; share one ``rng`` across the
    layers of a network). b starts at 0 unless given.
    """

    def __init__(
        self,
        inputs: int,
        units: int,
        activation_name: str = "sigmoid",
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.activation: Activation = activation(activation_name)
        if weights is None:
            # Glorot-uniform, Keras' default for Dense, so untrained nets start alike.
            limit = np.sqrt(6.0 / (inputs + units))
            weights = (rng or np.random.default_rng(0)).uniform(-limit, limit, (inputs, units))
        self.W = np.array(weights, dtype=np.float64).reshape(inputs, units)
        self.b = (
            np.zeros(units) if bias is None else np.array(bias, dtype=np.float64).reshape(units)
        )
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.x = self.z = self.a = None

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {"W": self.W, "b": self.b}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {"W": self.dW, "b": self.db}

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        self.z = x @ self.W + self.b
        self.a = self.activation.forward(self.z)
        return self.a

    def backward(self, d_a: np.ndarray) -> np.ndarray:
        """Store ∂J/∂W and ∂J/∂b from ∂J/∂A; return ∂J/∂X for the layer below."""
        delta = self.activation.backward(self.z, self.a, d_a)
        self.dW = self.x.T @ delta
        self.db = delta.sum(axis=0)
        return delta @ self.W.T

    def __repr__(self) -> str:
        inputs, units = self.W.shape
        return f"Dense({inputs}, {units}, {self.activation.name!r})"
