"""Linear regression (L1, house prices) and logistic regression (L2, loan approval)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.scratch import (
    LOSSES,
    Dense,
    LinearRegressionGD,
    LogisticRegressionGD,
    Network,
    normal_equation,
)
from dlworkflow.scratch import figures as plots
from dlworkflow.scratch.data import read_columns
from dlworkflow.scratch.lessons.common import (
    Lesson,
    Table,
    classification_scores,
    curves,
    describe_data,
    keras_comparison,
    positive,
    regression_scores,
    run_metrics,
    vector,
    verdict,
)

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
    positive("--lr", lr)
    positive("--iterations", iterations)
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
        ("w (gradient descent)", vector(model.w)),
        ("w (normal equation)", vector(exact)),
    ]
    history = {"loss": model.costs}
    if keras:
        # Keras' MSE is (1/N)Σr², twice the notes' ½Σr² over N: the same steps at lr·N/2.
        twin = Network([Dense(1, 1, "linear", weights=[[1.0]], bias=[0.0])], "mse")
        n = len(x)
        comparison, keras_losses = keras_comparison(
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
        summary.append(("Keras", verdict(comparison)))
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
            "training_curves.svg": plots.loss_curves(curves(history), "cost ½Σr²", log=True),
            "fit.svg": plots.fitted_line(
                x,
                y,
                {"gradient descent": model.w, "normal equation": exact},
                (x_column, y_column),
                (predict_at, prediction),
            ),
        },
        history=history,
        metrics=run_metrics(
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
    positive("--lr", lr)
    positive("--iterations", iterations)
    positive("--keras-steps", keras_steps)
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
        confusion_table(y, predicted),
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
        comparison, _ = keras_comparison(
            twin, x, y, lr, steps, hand_losses=hand.losses, hand_weights=[*hand.w[1:], hand.w[0]]
        )
        tables.append(comparison)
        summary.append(("Keras", verdict(comparison)))
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
        metrics=run_metrics(
            model.losses,
            LOSSES["binary_crossentropy"].value(model.predict_proba(x), y),
            seconds,
            classification_scores(y, predicted),
            3,
        ),
    )


def confusion_table(y: np.ndarray, predicted: np.ndarray) -> Table:
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(y.astype(np.int64), predicted, labels=[0, 1])
    return Table(
        "confusion",
        "Confusion matrix (rows: true, columns: predicted)",
        ["true \\ predicted", "0", "1"],
        [["0", *matrix[0]], ["1", *matrix[1]]],
    )
