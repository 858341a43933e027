"""Linear and logistic regression by gradient descent, written as in the notes.

Linear (L1): X̄ = [1, x], ŷ = X̄·w, residual r = ŷ − y, cost J = ½·Σ r², gradient
X̄ᵀ·r (a sum, not a mean — hence the notes' tiny learning rate 1e-6), and the
normal equation X̄ᵀX̄·w = X̄ᵀy as the exact answer to check against.

Logistic (L2): ŷ = σ(X̄·w), binary cross-entropy (a mean), gradient X̄ᵀ(ŷ − y)/m,
stopping when ‖gradient‖ < ε, as in the notes' ``logistic_regression``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dlworkflow.scratch.activations import sigmoid
from dlworkflow.scratch.losses import LOSSES


def with_ones(x: np.ndarray) -> np.ndarray:
    """X̄: a column of ones in front, so w[0] is the intercept."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    return np.hstack([np.ones((len(x), 1)), x])


@dataclass
class LinearRegressionGD:
    lr: float = 1e-6
    iterations: int = 100
    w_init: tuple[float, ...] = (0.0, 1.0)  # the notes start from the line y = x
    w: np.ndarray = field(init=False, repr=False)
    costs: list[float] = field(init=False, repr=False, default_factory=list)

    def fit(self, x: np.ndarray, y: np.ndarray) -> LinearRegressionGD:
        X, y = with_ones(x), np.asarray(y, dtype=np.float64).reshape(-1)
        self.w = np.zeros(X.shape[1])
        self.w[: len(self.w_init)] = self.w_init
        self.costs = []
        for _ in range(self.iterations):
            r = X @ self.w - y
            self.costs.append(0.5 * float(r @ r))
            self.w = self.w - self.lr * (X.T @ r)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return with_ones(x) @ self.w

    def cost(self, x: np.ndarray, y: np.ndarray) -> float:
        r = self.predict(x) - np.asarray(y, dtype=np.float64).reshape(-1)
        return 0.5 * float(r @ r)


def normal_equation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """w solving X̄ᵀX̄·w = X̄ᵀy (least squares, so a singular X̄ᵀX̄ still gets an answer)."""
    w, *_ = np.linalg.lstsq(with_ones(x), np.asarray(y, dtype=np.float64).reshape(-1), rcond=None)
    return w


@dataclass
class LogisticRegressionGD:
    lr: float = 0.01
    iterations: int = 10_000
    tolerance: float = 1e-6
    w: np.ndarray = field(init=False, repr=False)
    losses: list[float] = field(init=False, repr=False, default_factory=list)

    def fit(self, x: np.ndarray, y: np.ndarray) -> LogisticRegressionGD:
        X, y = with_ones(x), np.asarray(y, dtype=np.float64).reshape(-1)
        self.w = np.zeros(X.shape[1])
        self.losses = []
        bce = LOSSES["binary_crossentropy"].value
        for _ in range(self.iterations):
            y_pred = sigmoid(X @ self.w)
            self.losses.append(bce(y_pred, y))
            gradient = X.T @ (y_pred - y) / len(y)
            self.w = self.w - self.lr * gradient
            if np.linalg.norm(gradient) < self.tolerance:
                break
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(with_ones(x) @ self.w)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (self.predict_proba(x) > 0.5).astype(np.int64)
