"""The notes' from-scratch lessons, each computed by hand, checked against Keras and
gathered into a :class:`Lesson`: plain tables, figures and numbers.

Every function checks its input first (raising ``BadInput``) and writes nothing;
``dlworkflow.experiments.scratch_folder.write_lesson`` turns a lesson into a run
folder. Keras is imported only for the comparison at the end (``keras=False`` skips
it), so bad input is refused before TensorFlow starts.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from dlworkflow.errors import BadInput
from dlworkflow.scratch import (
    ACTIVATIONS,
    LOSSES,
    Dense,
    LinearRegressionGD,
    LogisticRegressionGD,
    Network,
    conv2d,
    conv2d_loops,
    max_pool2d,
    named_kernel,
    normal_equation,
)
from dlworkflow.scratch import figures as plots
from dlworkflow.scratch.data import read_columns, read_gray_image

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


# --- the hand-worked 1-2-1 network (notes, "Neural network calculates by hand") ------


def backprop_example(steps: int = 5, keras: bool = True) -> Lesson:
    """The notes' one step on the second record, then ``steps`` full-batch steps."""
    from dlworkflow.scratch.backprop_example import (
        LEARNING_RATE,
        notes_network,
        scaled_data,
        worked_example,
    )

    _positive("--steps", steps)
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
    weights = _weight_names(network)
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
            [[n, v] for n, v in zip(weights, _flat(network.weights()), strict=True)],
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
        comparison, keras_losses = _keras_network(
            notes_network(), x, y, LEARNING_RATE, steps, losses, _flat(network.weights())
        )
        tables.append(comparison)
        summary.append(("Keras", _verdict(comparison)))
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
        figures={"training_curves.svg": plots.loss_curves(_curves(history), "log loss")},
        history=history,
        metrics=_metrics(
            losses,
            network.evaluate(x, y),
            seconds,
            regression_scores(network.forward(x), y),
            _param_count(network),
        ),
    )


def _records(x: np.ndarray, y: np.ndarray):
    from dlworkflow.scratch.backprop_example import HEIGHTS_CM, WEIGHTS_KG

    return zip(HEIGHTS_CM, WEIGHTS_KG, x[:, 0], y[:, 0], strict=True)


# --- linear regression (L1) -----------------------------------------------------------

LINEAR_COLUMNS = ("Diện tích", "Giá")


def linear(
    csv: Path,
    x_column: str = LINEAR_COLUMNS[0],
    y_column: str = LINEAR_COLUMNS[1],
    lr: float = 1e-6,
    iterations: int = 100,
    predict_at: float = 50.0,
    keras: bool = True,
) -> Lesson:
    """Gradient descent from the line y = x, the cost per iteration, the normal equation."""
    _positive("--lr", lr)
    _positive("--iterations", iterations)
    x, y = read_columns(csv, [x_column, y_column])
    started = time.perf_counter()
    model = LinearRegressionGD(lr=lr, iterations=iterations).fit(x, y)
    seconds = time.perf_counter() - started
    if not np.all(np.isfinite(model.w)):
        raise BadInput(f"--lr: {lr:g} makes gradient descent diverge on {csv}; try a smaller one")
    exact = normal_equation(x, y)
    prediction = float(model.predict([predict_at])[0])
    exact_prediction = float(exact[0] + exact[1] * predict_at)
    tables = [
        Table(
            "fit",
            "The fitted line y = w0 + w1·x",
            ["", "w0", "w1", f"prediction at {predict_at:g}", "cost ½Σr²"],
            [
                [
                    f"gradient descent, {iterations} iterations",
                    *model.w,
                    prediction,
                    model.cost(x, y),
                ],
                [
                    "normal equation (X̄ᵀX̄)⁻¹X̄ᵀy",
                    *exact,
                    exact_prediction,
                    LinearRegressionGD(w_init=tuple(exact), iterations=0).fit(x, y).cost(x, y),
                ],
            ],
            note="The notes' loop is gradient descent on the sum ½Σr², so its learning rate "
            "is tiny; w1 is nearly learnt after 100 iterations, the intercept w0 hardly moves.",
        )
    ]
    summary = [
        (f"price at {predict_at:g}", f"{prediction:.3f} (normal equation {exact_prediction:.3f})"),
        ("w (gradient descent)", _vector(model.w)),
        ("w (normal equation)", _vector(exact)),
    ]
    history = {"loss": model.costs}
    if keras:
        # Keras' MSE is (1/N)Σr², twice the notes' ½Σr² over N: the same steps at lr·N/2.
        twin = Network([Dense(1, 1, "linear", weights=[[1.0]], bias=[0.0])], "mse")
        n = len(x)
        comparison, keras_losses = _keras_network(
            twin,
            x.reshape(-1, 1),
            y,
            lr * n / 2,
            iterations,
            hand_losses=[2 * c / n for c in model.costs],
            hand_weights=[model.w[1], model.w[0]],
        )
        comparison.note += (
            f" Keras' loss is the MSE (1/N)·Σr², i.e. ½Σr² × 2/N, and its learning rate "
            f"lr·N/2 = {lr * n / 2:g} makes the same steps."
        )
        tables.append(comparison)
        summary.append(("Keras", _verdict(comparison)))
        history["keras_loss"] = [v * n / 2 for v in keras_losses]
    return Lesson(
        command="linear",
        config={
            "name": "scratch-linear",
            "lesson": "linear",
            "csv": str(csv),
            "x_column": x_column,
            "y_column": y_column,
            "lr": lr,
            "iterations": iterations,
            "predict_at": predict_at,
            "keras": keras,
        },
        data=describe_data(Path(csv).stem, "regression", x.reshape(-1, 1), y),
        summary=summary,
        tables=tables,
        figures={
            "training_curves.svg": plots.loss_curves(_curves(history), "cost ½Σr²", log=True),
            "fit.svg": plots.fitted_line(
                x,
                y,
                {"gradient descent": model.w, "normal equation": exact},
                (x_column, y_column),
                (predict_at, prediction),
            ),
        },
        history=history,
        metrics=_metrics(
            model.costs, model.cost(x, y), seconds, regression_scores(model.predict(x), y), 2
        ),
    )


# --- logistic regression (L2) ---------------------------------------------------------

LOGISTIC_COLUMNS = ("Lương", "Thời gian làm việc", "Cho vay")


def logistic(
    csv: Path,
    features: tuple[str, str] = LOGISTIC_COLUMNS[:2],
    target: str = LOGISTIC_COLUMNS[2],
    lr: float = 0.01,
    iterations: int = 10_000,
    keras: bool = True,
    keras_steps: int = 200,
) -> Lesson:
    """Loan approval from salary and years of work: the decision line and accuracy."""
    _positive("--lr", lr)
    _positive("--iterations", iterations)
    _positive("--keras-steps", keras_steps)
    a, b, y = read_columns(csv, [*features, target])
    labels = set(np.unique(y).tolist())
    if not labels <= {0.0, 1.0} or len(labels) < 2:
        raise BadInput(f"{csv}: column '{target}' must hold 0 and 1, found {sorted(labels)}")
    x = np.column_stack([a, b])
    started = time.perf_counter()
    model = LogisticRegressionGD(lr=lr, iterations=iterations).fit(x, y)
    seconds = time.perf_counter() - started
    predicted = model.predict(x)
    accuracy = float(np.mean(predicted == y))
    w = model.w
    tables = [
        Table(
            "fit",
            "The decision line w0 + w1·x1 + w2·x2 = 0 (probability 0.5)",
            ["w0", "w1", "w2", "iterations", "final loss", "accuracy"],
            [[*w, len(model.losses), model.losses[-1], accuracy]],
        ),
        _confusion(y, predicted),
    ]
    summary = [
        ("accuracy (all rows)", f"{accuracy:.3f}"),
        ("decision line", f"{w[0]:.4f} + {w[1]:.4f}·{features[0]} + {w[2]:.4f}·{features[1]} = 0"),
        ("iterations", str(len(model.losses))),
    ]
    if keras:
        steps = min(keras_steps, len(model.losses))
        hand = LogisticRegressionGD(lr=lr, iterations=steps, tolerance=0).fit(x, y)
        twin = Network([Dense(2, 1, "sigmoid", weights=np.zeros((2, 1)), bias=[0.0])])
        comparison, _ = _keras_network(
            twin, x, y, lr, steps, hand_losses=hand.losses, hand_weights=[*hand.w[1:], hand.w[0]]
        )
        tables.append(comparison)
        summary.append(("Keras", _verdict(comparison)))
    return Lesson(
        command="logistic",
        config={
            "name": "scratch-logistic",
            "lesson": "logistic",
            "csv": str(csv),
            "features": list(features),
            "target": target,
            "lr": lr,
            "iterations": iterations,
            "keras": keras,
        },
        data=describe_data(Path(csv).stem, "binary", x, y, ["0", "1"]),
        summary=summary,
        tables=tables,
        figures={
            "training_curves.svg": plots.loss_curves({"loss": model.losses}, "log loss"),
            "decision_boundary.svg": plots.decision_line(
                x, y, w, features, (f"{target} = 0", f"{target} = 1")
            ),
        },
        history={"loss": model.losses},
        metrics=_metrics(
            model.losses,
            LOSSES["binary_crossentropy"].value(model.predict_proba(x), y),
            seconds,
            classification_scores(y, predicted),
            3,
        ),
    )


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
    _positive("--hidden", hidden)
    _positive("--lr", lr)
    _positive("--iterations", iterations)
    _positive("--keras-steps", keras_steps)
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
    names = _weight_names(network)
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
                for n, a, b in zip(names, _flat(initial), _flat(network.weights()), strict=True)
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
        comparison, _ = _keras_network(fresh(), x, y, lr, min(keras_steps, iterations))
        tables.append(comparison)
        summary.append(("Keras", _verdict(comparison)))
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
        metrics=_metrics(
            losses,
            network.evaluate(x, y),
            seconds,
            classification_scores(y, predicted),
            _param_count(network),
        ),
    )


# --- convolution (Phần 4, seed 004) ---------------------------------------------------


def convolution(
    image: Path,
    kernel_name: str,
    stride: int = 1,
    padding: str = "same",
    keras: bool = True,
    loops_pixels: int = 256 * 256,
) -> Lesson:
    """Input, kernel, output (and output max-pooled), by im2col, loops and Keras."""
    kernel = named_kernel(kernel_name)
    _positive("--stride", stride)
    if padding not in ("same", "valid"):
        raise BadInput(f"--padding: '{padding}' is not 'same' or 'valid'")
    pixels = read_gray_image(image)
    started = time.perf_counter()
    output = conv2d(pixels, kernel, stride, padding)[:, :, 0]
    seconds = time.perf_counter() - started
    if min(output.shape) < 2:
        raise BadInput(f"{image}: too small for a 3×3 kernel with stride {stride} and pooling")
    pooled = max_pool2d(output)[:, :, 0]
    checks = []
    if pixels.size <= loops_pixels:  # the loops take about a second per 256×256 image
        loops = conv2d_loops(pixels, kernel, stride, padding)[:, :, 0]
        checks.append(["conv2d by loops", _max_diff(output, loops)])
    if keras:
        from dlworkflow.scratch.keras_twin import keras_conv2d, keras_max_pool2d

        checks.append(
            [
                "keras Conv2D",
                _max_diff(output, keras_conv2d(pixels, kernel, stride, padding)[:, :, 0]),
            ]
        )
        checks.append(["keras MaxPooling2D", _max_diff(pooled, keras_max_pool2d(output)[:, :, 0])])
    tables = [
        Table(
            "kernel",
            f"Kernel {kernel_name}",
            ["", "1", "2", "3"],
            [[i + 1, *row] for i, row in enumerate(kernel)],
        ),
        Table(
            "sizes",
            "Sizes: (m − k + 2p)/s + 1",
            ["", "height", "width"],
            [
                ["input", *pixels.shape],
                ["output", *output.shape],
                ["max-pooled 2×2", *pooled.shape],
            ],
        ),
        Table(
            "comparison",
            "im2col against the loops and Keras (largest |difference|)",
            ["other side", "max |diff|", f"within {TOLERANCE:g}"],
            [[name, diff, "✓" if diff <= TOLERANCE else "✗"] for name, diff in checks],
            note=""
            if pixels.size <= loops_pixels
            else f"The loops are skipped above {loops_pixels:,} pixels (slow in Python).",
        ),
    ]
    return Lesson(
        command="conv",
        config={
            "name": f"scratch-conv-{kernel_name}",
            "lesson": "conv",
            "image": str(image),
            "kernel": kernel_name,
            "stride": stride,
            "padding": padding,
            "keras": keras,
        },
        data=describe_data(Path(image).name, "image", pixels[None], np.zeros(1)),
        summary=[
            (
                "output",
                f"{output.shape[1]}×{output.shape[0]}, values "
                f"{output.min():.1f} … {output.max():.1f}",
            ),
            *[(name, f"max |diff| {diff:.2g}") for name, diff in checks],
        ],
        tables=tables,
        figures={
            "convolution.svg": plots.convolution_panels(pixels, kernel, output, pooled, kernel_name)
        },
        metrics={
            "split": "train",
            "loss": None,
            "evaluation": {},
            "train_seconds": round(seconds, 4),
            "comparison": {row[0]: row[1] for row in checks},
        },
    )


# --- activation functions --------------------------------------------------------------


def activations(keras: bool = True) -> Lesson:
    """Each activation and its derivative; derivatives checked by finite differences."""
    z = np.linspace(-5, 5, 101) + 0.013  # off 0, where ReLU has no derivative
    h = 1e-6
    rows = []
    for name, act in ACTIVATIONS.items():
        a = act.forward(z[None])[0] if name == "softmax" else act.forward(z)
        if name == "softmax":  # the Jacobian's diagonal, against differences of each z_i
            numeric = np.array(
                [
                    (act.forward(z[None] + h * e)[0, i] - act.forward(z[None] - h * e)[0, i])
                    / (2 * h)
                    for i, e in enumerate(np.eye(len(z)))
                ]
            )
        else:
            numeric = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
        row = [name, act.formula, _max_diff(act.derivative(z, a), numeric)]
        if keras:
            from dlworkflow.scratch.keras_twin import keras_activation

            row.append(_max_diff(a, keras_activation(name, z)))
        rows.append(row)
    columns = ["activation", "formula", "derivative vs finite differences"]
    if keras:
        columns.append("value vs keras.activations")
    return Lesson(
        command="activations",
        config={"name": "scratch-activations", "lesson": "activations", "keras": keras},
        data=describe_data("z-grid", "regression", z.reshape(-1, 1), z),
        summary=[
            (row[0], "  ".join(f"{c}: {v:.2g}" for c, v in zip(columns[2:], row[2:], strict=True)))
            for row in rows
        ],
        tables=[
            Table(
                "activations",
                "Activations and their derivatives on z ∈ [−5, 5]",
                columns,
                rows,
                note="Softmax: the diagonal ∂a_i/∂z_i = a_i(1 − a_i) of its Jacobian; "
                "backpropagation applies the whole Jacobian.",
            )
        ],
        figures={"activations.svg": plots.activation_panels()},
        metrics={"split": "train", "loss": None, "evaluation": {}},
    )


# --- shared pieces ---------------------------------------------------------------------


def _keras_network(
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
    names = _weight_names(network)
    if hand_losses is None:
        hand_losses = network.fit(x, y, lr, steps)
        hand_weights = _flat(network.weights())
    keras_weights = _flat(trained.weights)
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


def _verdict(table: Table) -> str:
    worst = max(row[3] for row in table.rows)
    ok = all(row[4] == "✓" for row in table.rows)
    return f"{'agrees' if ok else 'DIFFERS'} (largest |diff| {worst:.2g}, tolerance {TOLERANCE:g})"


def _weight_names(network: Network) -> list[str]:
    """w11(1), w12(1), …, b1(1), … in ``Network.weights`` order (the notes' naming)."""
    names = []
    for number, layer in enumerate(network.layers, start=1):
        rows, cols = layer.W.shape
        names += [f"w{i + 1}{j + 1}({number})" for i in range(rows) for j in range(cols)]
        names += [f"b{j + 1}({number})" for j in range(cols)]
    return names


def _param_count(network: Network) -> int:
    return sum(layer.W.size + layer.b.size for layer in network.layers)


def _flat(arrays: list[np.ndarray]) -> list[float]:
    return [float(v) for array in arrays for v in np.ravel(array)]


def _curves(history: dict[str, list[float]]) -> dict[str, list[float]]:
    return {"by hand" if k == "loss" else "keras": v for k, v in history.items()}


def _vector(w: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in w) + "]"


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def _positive(option: str, value: float) -> None:
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


def _confusion(y: np.ndarray, predicted: np.ndarray) -> Table:
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(y.astype(np.int64), predicted, labels=[0, 1])
    return Table(
        "confusion",
        "Confusion matrix (rows: true, columns: predicted)",
        ["true \\ predicted", "0", "1"],
        [["0", *matrix[0]], ["1", *matrix[1]]],
    )


def _metrics(
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
