"""Networks by hand: the notes' worked 1-2-1 example and a 2-2-1 network learning XOR."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.scratch import ACTIVATIONS, Dense, Network
from dlworkflow.scratch import figures as plots
from dlworkflow.scratch.data import read_columns
from dlworkflow.scratch.lessons.common import (
    Lesson,
    Table,
    classification_scores,
    curves,
    describe_data,
    flat,
    keras_comparison,
    param_count,
    positive,
    regression_scores,
    run_metrics,
    verdict,
    weight_names,
)

# --- the hand-worked 1-2-1 network (notes, "Neural network calculates by hand") ------


def backprop_example(steps: int = 5, keras: bool = True) -> Lesson:
    """The notes' one step on the second record, then ``steps`` full-batch steps."""
    from dlworkflow.scratch.backprop_example import (
        LEARNING_RATE,
        notes_network,
        scaled_data,
        worked_example,
    )

    positive("--steps", steps)
    rows = worked_example()
    x, y = scaled_data()
    network = notes_network()
    started = time.perf_counter()
    losses = network.fit(x, y, LEARNING_RATE, steps)
    seconds = time.perf_counter() - started
    step_table = Table(
        "worked-step",
        "One step on the second record (x = y = 0.5), beside the notes",
        ["value", "notes", "notes' arithmetic", "float64", "rounded as the notes", "agrees"],
        [
            [r.name, r.notes, r.notes_arithmetic, r.exact, r.rounded, "✓" if r.agrees else "✗"]
            for r in rows
        ],
        note=" ".join(f"{r.name}: {r.note}." for r in rows if r.note),
    )
    weights = weight_names(network)
    tables = [
        Table(
            "data",
            "The data, min-max scaled",
            ["record", "height (cm)", "weight (kg)", "x", "y"],
            [[i + 1, h, w, xs, ys] for i, (h, w, xs, ys) in enumerate(_records(x, y))],
        ),
        step_table,
        Table(
            "weights",
            f"Weights after {steps} full-batch step(s) on the three records",
            ["weight", "value"],
            [[n, v] for n, v in zip(weights, flat(network.weights()), strict=True)],
        ),
    ]
    y_hat = next(r for r in rows if r.name.startswith("ŷ"))
    summary = [
        ("ŷ on the second record", f"{y_hat.exact:.6f} (notes {y_hat.notes})"),
        ("values that round to the notes' digits", f"{sum(r.agrees for r in rows)}/{len(rows)}"),
        (f"loss after {steps} step(s)", f"{losses[-1]:.6f}"),
    ]
    history = {"loss": losses}
    if keras:
        comparison, keras_losses = keras_comparison(
            notes_network(), x, y, LEARNING_RATE, steps, losses, flat(network.weights())
        )
        tables.append(comparison)
        summary.append(("Keras", verdict(comparison)))
        history["keras_loss"] = keras_losses
    return Lesson(
        command="backprop-example",
        config={
            "name": "scratch-backprop",
            "lesson": "backprop-example",
            "lr": LEARNING_RATE,
            "steps": steps,
            "keras": keras,
        },
        data=describe_data("heights-weights", "regression", x, y),
        summary=summary,
        tables=tables,
        figures={"training_curves.svg": plots.loss_curves(curves(history), "log loss")},
        history=history,
        metrics=run_metrics(
            losses,
            network.evaluate(x, y),
            seconds,
            regression_scores(network.forward(x), y),
            param_count(network),
        ),
    )


def _records(x: np.ndarray, y: np.ndarray):
    from dlworkflow.scratch.backprop_example import HEIGHTS_CM, WEIGHTS_KG

    return zip(HEIGHTS_CM, WEIGHTS_KG, x[:, 0], y[:, 0], strict=True)


# --- XOR with a 2-2-1 network (L4) ----------------------------------------------------

XOR_COLUMNS = ("x1", "x2", "x1 XOR x2")


def xor(
    csv: Path,
    hidden: int = 2,
    activation_name: str = "sigmoid",
    lr: float = 1.0,
    iterations: int = 5000,
    seed: int = 0,
    keras: bool = True,
    keras_steps: int = 100,
) -> Lesson:
    """A 2-hidden-unit network learns XOR, which no single line separates."""
    positive("--hidden", hidden)
    positive("--lr", lr)
    positive("--iterations", iterations)
    positive("--keras-steps", keras_steps)
    if activation_name not in ACTIVATIONS or activation_name == "softmax":
        choices = ", ".join(a for a in ACTIVATIONS if a != "softmax")
        raise BadInput(f"--activation: '{activation_name}' is not one of {choices}")
    x1, x2, y = read_columns(csv, list(XOR_COLUMNS))
    x = np.column_stack([x1, x2])

    def fresh() -> Network:
        rng = np.random.default_rng(seed)
        return Network([Dense(2, hidden, activation_name, rng=rng), Dense(hidden, 1, rng=rng)])

    network = fresh()
    initial = network.weights()
    started = time.perf_counter()
    losses = network.fit(x, y, lr, iterations)
    seconds = time.perf_counter() - started
    p = network.forward(x)[:, 0]
    predicted = (p > 0.5).astype(np.int64)
    accuracy = float(np.mean(predicted == y))
    names = weight_names(network)
    tables = [
        Table(
            "predictions",
            "The truth table and the network's answers",
            ["x1", "x2", "XOR", "p(1)", "predicted"],
            [
                [a, b, int(t), q, int(c)]
                for a, b, t, q, c in zip(x1, x2, y, p, predicted, strict=True)
            ],
        ),
        Table(
            "weights",
            f"Weights before and after {iterations} iterations (seed {seed})",
            ["weight", "initial", "trained"],
            [
                [n, a, b]
                for n, a, b in zip(names, flat(initial), flat(network.weights()), strict=True)
            ],
        ),
    ]
    summary = [
        (
            "accuracy",
            f"{accuracy:.2f}"
            + ("" if accuracy == 1 else " (stuck; try another --seed or more --iterations)"),
        ),
        ("final loss", f"{losses[-1]:.6f}"),
    ]
    if keras:
        comparison, _ = keras_comparison(fresh(), x, y, lr, min(keras_steps, iterations))
        tables.append(comparison)
        summary.append(("Keras", verdict(comparison)))
    return Lesson(
        command="xor",
        config={
            "name": "scratch-xor",
            "lesson": "xor",
            "csv": str(csv),
            "hidden": hidden,
            "activation": activation_name,
            "lr": lr,
            "iterations": iterations,
            "seed": seed,
            "keras": keras,
        },
        data=describe_data(Path(csv).stem, "binary", x, y, ["0", "1"]),
        summary=summary,
        tables=tables,
        figures={
            "training_curves.svg": plots.loss_curves({"loss": losses}, "log loss", log=True),
            "decision_boundary.svg": plots.decision_regions(
                lambda points: network.forward(points)[:, 0], x, y
            ),
        },
        history={"loss": losses},
        metrics=run_metrics(
            losses,
            network.evaluate(x, y),
            seconds,
            classification_scores(y, predicted),
            param_count(network),
        ),
    )
