"""What every lesson shares: the ``Lesson`` it returns, its tables, the table that sets
the hand computation beside Keras, and metrics.json in the shape every run has."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.errors import BadInput
from dlworkflow.scratch import Network

TOLERANCE = 1e-6  # hand vs Keras, in float64 on both sides


@dataclass
class Table:
    """A titled table of plain values, for the terminal and the report alike."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Lesson:
    """Everything one ``dlw scratch`` command computed, before anything is written."""

    command: str
    config: dict[str, Any]  # the options that produced it (config.yaml)
    data: dict[str, Any]  # data.json: name, task, kind, shapes, class names, splits
    summary: list[tuple[str, str]]  # (label, value) lines, printed and shown as cards
    tables: list[Table] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)  # file name → figure
    history: dict[str, list[float]] = field(default_factory=dict)  # one row per iteration
    metrics: dict[str, Any] = field(default_factory=dict)


def describe_data(
    name: str, task: str, x: np.ndarray, y: np.ndarray, class_names: list[str] | None = None
) -> dict[str, Any]:
    """data.json of an in-memory table: its one split is everything (train)."""
    digest = hashlib.sha256(np.ascontiguousarray(x, np.float64).tobytes())
    digest.update(np.ascontiguousarray(y, np.float64).tobytes())
    return {
        "name": name,
        "task": task,
        "kind": "tabular" if x.ndim <= 2 else "image",
        "input_shape": list(x.shape[1:]),
        "class_names": class_names or [],
        "splits": {
            "train": {"size": int(len(x)), "x_shape": list(x.shape), "sha256": digest.hexdigest()}
        },
    }


def keras_comparison(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    lr: float,
    steps: int,
    hand_losses: list[float] | None = None,
    hand_weights: list | None = None,
) -> tuple[Table, list[float]]:
    """Train ``network``'s Keras twin and the network itself (unless the hand side is
    given) for ``steps`` full-batch SGD steps; a table of the two sides."""
    from dlworkflow.scratch.keras_twin import train_keras

    trained = train_keras(network, x, y, lr, steps)
    names = weight_names(network)
    if hand_losses is None:
        hand_losses = network.fit(x, y, lr, steps)
        hand_weights = flat(network.weights())
    keras_weights = flat(trained.weights)
    rows = [
        [f"loss, step {i + 1}", hand_losses[i], trained.losses[i]] for i in sorted({0, steps - 1})
    ]
    rows += [
        [n, float(a), float(b)] for n, a, b in zip(names, hand_weights, keras_weights, strict=True)
    ]
    rows = [
        [*row, abs(row[1] - row[2]), "✓" if abs(row[1] - row[2]) <= TOLERANCE else "✗"]
        for row in rows
    ]
    worst = max(abs(a - b) for a, b in zip(hand_losses, trained.losses, strict=True))
    table = Table(
        "keras",
        f"The same network in Keras (float64, SGD, full batch), after {steps} step(s)",
        ["", "by hand", "keras", "|diff|", f"within {TOLERANCE:g}"],
        rows,
        note=f"Largest loss difference over all {steps} steps: {worst:.2g}. Keras ran with "
        "floatx float64, so its learning rate and logged loss are float64 too.",
    )
    return table, trained.losses


def verdict(table: Table) -> str:
    worst = max(row[3] for row in table.rows)
    ok = all(row[4] == "✓" for row in table.rows)
    return f"{'agrees' if ok else 'DIFFERS'} (largest |diff| {worst:.2g}, tolerance {TOLERANCE:g})"


def weight_names(network: Network) -> list[str]:
    """w11(1), w12(1), …, b1(1), … in ``Network.weights`` order (the notes' naming)."""
    names = []
    for number, layer in enumerate(network.layers, start=1):
        rows, cols = layer.W.shape
        names += [f"w{i + 1}{j + 1}({number})" for i in range(rows) for j in range(cols)]
        names += [f"b{j + 1}({number})" for j in range(cols)]
    return names


def param_count(network: Network) -> int:
    return sum(layer.W.size + layer.b.size for layer in network.layers)


def flat(arrays: list[np.ndarray]) -> list[float]:
    return [float(v) for array in arrays for v in np.ravel(array)]


def curves(history: dict[str, list[float]]) -> dict[str, list[float]]:
    return {"by hand" if k == "loss" else "keras": v for k, v in history.items()}


def vector(w: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in w) + "]"


def max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def positive(option: str, value: float) -> None:
    if not value > 0:
        raise BadInput(f"{option}: {value:g} must be above 0")


def regression_scores(y_pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    y_pred, y = np.ravel(y_pred), np.ravel(y)
    return {
        "mae": float(mean_absolute_error(y, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y, y_pred))),
        "r2": float(r2_score(y, y_pred)),
    }


def classification_scores(y: np.ndarray, predicted: np.ndarray) -> dict:
    from sklearn.metrics import accuracy_score, classification_report

    y = y.astype(np.int64)
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "report": classification_report(
            y,
            predicted,
            labels=[0, 1],
            target_names=["0", "1"],
            output_dict=True,
            zero_division=0,
        ),
    }


def run_metrics(
    losses: list[float],
    final_loss: float,
    seconds: float,
    evaluation: dict,
    params: int,
) -> dict:
    """metrics.json as every run has it: the loss after training (``losses`` holds each
    iteration's before its update); the split is ``train`` (the lessons use it all)."""
    return {
        "split": "train",
        "loss": float(final_loss),
        "evaluation": evaluation,
        "best_epoch": int(np.argmin(losses)) + 1,
        "epochs_run": len(losses),
        "stopped_early": False,
        "train_seconds": round(seconds, 4),
        "params": params,
    }
