"""Activation functions and their derivatives, as in the notes (Phần 3).

Each derivative is written in terms of what the forward pass already computed — the
notes' σ'(z) = σ(z)·(1 − σ(z)) — so backpropagation reuses ``a`` instead of ``z``.
Softmax couples its outputs, so its "derivative" is the Jacobian applied to the
incoming gradient rather than an element-wise factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlworkflow.errors import BadInput


@dataclass(frozen=True)
class Activation:
    """``forward(z) -> a`` and ``backward(z, a, dA) -> dZ`` (the chain rule through it)."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]  # da/dz, element-wise
    formula: str

    def backward(self, z: np.ndarray, a: np.ndarray, d_a: np.ndarray) -> np.ndarray:
        return d_a * self.derivative(z, a)


def sigmoid(z: np.ndarray) -> np.ndarray:
    # Two branches so neither exp overflows for large |z|.
    out = np.empty_like(z, dtype=np.float64)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))  # same result, no overflow
    return shifted / shifted.sum(axis=-1, keepdims=True)


class _Softmax(Activation):
    def backward(self, z: np.ndarray, a: np.ndarray, d_a: np.ndarray) -> np.ndarray:
        # Jacobian ∂a_i/∂z_j = a_i(δ_ij − a_j), applied to d_a row by row.
        return a * (d_a - np.sum(d_a * a, axis=-1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid", sigmoid, lambda z, a: a * (1.0 - a), "σ(z) = 1/(1+e^−z); σ' = σ(1−σ)"
    ),
    "tanh": Activation("tanh", np.tanh, lambda z, a: 1.0 - a**2, "tanh(z); tanh' = 1 − tanh²"),
    "relu": Activation(
        "relu",
        lambda z: np.maximum(z, 0.0),
        lambda z, a: (z > 0).astype(np.float64),
        "max(0, z); relu' = 1 if z > 0 else 0",
    ),
    "linear": Activation("linear", lambda z: z, lambda z, a: np.ones_like(z), "z; 1"),
    "softmax": _Softmax(
        "softmax",
        softmax,
        lambda z, a: a * (1.0 - a),  # the diagonal of the Jacobian, for plotting
        "e^z_i / Σ_j e^z_j; ∂a_i/∂z_j = a_i(δ_ij − a_j)",
    ),
}


def activation(name: str) -> Activation:
    if name not in ACTIVATIONS:
        raise BadInput(f"activation '{name}': not one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]
