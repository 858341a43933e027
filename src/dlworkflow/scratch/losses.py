"""Loss functions J(ŷ, y) averaged over the samples, with their gradients ∂J/∂ŷ.

The averaging matches Keras (mean over the batch, and over the outputs for MSE/MAE),
so a hand step and a Keras step with the same learning rate move the weights alike.
The notes' J = (1/N)·Σ L is the same for one output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlworkflow.errors import BadInput

EPSILON = 1e-12  # keeps log() finite; far below any probability the course's nets reach


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable[[np.ndarray, np.ndarray], float]  # (y_pred, y_true) -> J
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (y_pred, y_true) -> ∂J/∂ŷ
    formula: str


def _mse(y_pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((y_pred - y) ** 2))


def _mse_gradient(y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 2.0 * (y_pred - y) / y_pred.size


def _mae(y_pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.abs(y_pred - y)))


def _mae_gradient(y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sign(y_pred - y) / y_pred.size  # undefined at 0; 0 there, as in Keras


def _bce(y_pred: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def _bce_gradient(y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    # The notes' ∂L/∂ŷ = (ŷ − y) / (ŷ(1 − ŷ)); through a sigmoid it becomes ŷ − y.
    p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return (p - y) / (p * (1.0 - p)) / y_pred.size


def _cce(y_pred: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(y_pred, EPSILON, 1.0)
    return float(-np.mean(np.sum(y * np.log(p), axis=-1)))


def _cce_gradient(y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    p = np.clip(y_pred, EPSILON, 1.0)
    return -y / p / y_pred.shape[0]


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", _mse, _mse_gradient, "J = mean((ŷ − y)²)"),
    "mae": Loss("mae", _mae, _mae_gradient, "J = mean(|ŷ − y|)"),
    "binary_crossentropy": Loss(
        "binary_crossentropy",
        _bce,
        _bce_gradient,
        "J = −mean(y·ln ŷ + (1 − y)·ln(1 − ŷ))",
    ),
    "categorical_crossentropy": Loss(
        "categorical_crossentropy", _cce, _cce_gradient, "J = −mean(Σ_k y_k·ln ŷ_k)"
    ),
}


def loss(name: str) -> Loss:
    if name not in LOSSES:
        raise BadInput(f"loss '{name}': not one of {', '.join(LOSSES)}")
    return LOSSES[name]
