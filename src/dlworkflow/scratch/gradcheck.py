"""Finite-difference gradient check: is backpropagation's ∂J/∂w what J itself says?

Each weight is nudged by ±h and (J(w+h) − J(w−h)) / 2h compared with the gradient
backpropagation stored, all weights at once: ‖a − n‖ / (‖a‖ + ‖n‖) — the usual
criterion (below 1e-7: right; near 1: wrong). Pick a point away from kinks (ReLU at
0, MAE at a zero residual), where no derivative exists to check.
"""

from __future__ import annotations

import numpy as np

from dlworkflow.scratch.network import Network


def numeric_gradients(network: Network, x: np.ndarray, y: np.ndarray, h: float = 1e-6):
    """Central differences of J for every parameter, in ``Network.weights`` order."""
    grads = []
    for layer in network.layers:
        for param in (layer.W, layer.b):
            grad = np.zeros_like(param)
            for index in np.ndindex(param.shape):
                saved = param[index]
                param[index] = saved + h
                plus = network.evaluate(x, y)
                param[index] = saved - h
                minus = network.evaluate(x, y)
                param[index] = saved
                grad[index] = (plus - minus) / (2 * h)
            grads.append(grad)
    return grads


def analytic_gradients(network: Network, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    network.forward(x)
    network.backward(y)
    return [g.copy() for layer in network.layers for g in (layer.dW, layer.db)]


def gradient_check(network: Network, x: np.ndarray, y: np.ndarray, h: float = 1e-6) -> float:
    """‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖) over every weight and bias."""
    analytic = np.concatenate([g.ravel() for g in analytic_gradients(network, x, y)])
    numeric = np.concatenate([g.ravel() for g in numeric_gradients(network, x, y, h)])
    scale = max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), 1e-300)
    return float(np.linalg.norm(analytic - numeric)) / scale
