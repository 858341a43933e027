"""``dlw scratch …``: the notes' from-scratch lessons (NumPy), each checked against Keras
and written as a run folder with a report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from dlworkflow.cli.common import app, backend, muted_stderr, out

if TYPE_CHECKING:
    from dlworkflow.scratch.lessons import Lesson

scratch_app = typer.Typer(
    no_args_is_help=True,
    help="From scratch in NumPy: regression, backpropagation, convolution — beside Keras.",
)
app.add_typer(scratch_app, name="scratch")

RunsDir = Annotated[Path, typer.Option("--runs-dir", help="Where run folders go.")]
NoKeras = Annotated[
    bool, typer.Option("--no-keras", help="Skip the comparison with Keras (faster).")
]


def _course(relative: str) -> Path:
    from dlworkflow.scratch.data import course_file

    return course_file(relative)


def _finish(make: Callable[[], Lesson], runs_dir: Path) -> None:
    """Compute the lesson (bad input stops it here), write its run folder, print it."""
    with muted_stderr():  # TensorFlow's start-up logs, if the comparison starts it
        lesson = make()
    with backend():  # the run folder records the Keras version
        from dlworkflow.experiments.scratch_folder import write_lesson
        from dlworkflow.report.scratch import short_number

        folder = write_lesson(lesson, runs_dir)
    for label, value in lesson.summary:
        out.print(f"[bold]{label}:[/bold] {value}", highlight=False)
    for table in lesson.tables:
        rich = RichTable(title=table.title, title_justify="left")
        for index, column in enumerate(table.columns):
            rich.add_column(column, justify="left" if index == 0 else "right")
        for row in table.rows:
            rich.add_row(*(short_number(value) for value in row))
        out.print(rich)
        if table.note:
            out.print(table.note, highlight=False)
    out.print(f"run: {folder}")
    out.print(f"report: {folder / 'report.html'}")


def _lessons():
    from dlworkflow.scratch import lessons

    return lessons


@scratch_app.command("backprop-example")
def backprop_example_command(
    steps: Annotated[int, typer.Option(help="Full-batch steps to compare with Keras.")] = 5,
    no_keras: NoKeras = False,
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """The notes' hand-worked 1-2-1 network: every value beside the notes' numbers."""
    _finish(lambda: _lessons().backprop_example(steps, keras=not no_keras), runs_dir)


@scratch_app.command("linear")
def linear_command(
    csv: Annotated[Path | None, typer.Option(help="Default: course/L1/data_linear.csv.")] = None,
    x: Annotated[str, typer.Option("--x", help="Input column.")] = "Diện tích",
    y: Annotated[str, typer.Option("--y", help="Target column.")] = "Giá",
    lr: Annotated[float, typer.Option(help="Learning rate (on ½Σr², as in the notes).")] = 1e-6,
    iterations: Annotated[int, typer.Option(help="Gradient-descent steps.")] = 100,
    predict_at: Annotated[float, typer.Option(help="Input to predict (50 m²).")] = 50.0,
    no_keras: NoKeras = False,
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """Linear regression by gradient descent: cost curve, line, prediction, normal equation."""
    path = csv or _course("L1/data_linear.csv")
    _finish(
        lambda: _lessons().linear(path, x, y, lr, iterations, predict_at, keras=not no_keras),
        runs_dir,
    )


@scratch_app.command("logistic")
def logistic_command(
    csv: Annotated[Path | None, typer.Option(help="Default: course/L2/dataset.csv.")] = None,
    features: Annotated[
        str, typer.Option(help="Two input columns, comma-separated.")
    ] = "Lương,Thời gian làm việc",
    target: Annotated[str, typer.Option(help="0/1 target column.")] = "Cho vay",
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 0.01,
    iterations: Annotated[int, typer.Option(help="At most this many steps.")] = 10_000,
    keras_steps: Annotated[int, typer.Option(help="Steps compared with Keras.")] = 200,
    no_keras: NoKeras = False,
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """Logistic regression on the loan data: the decision line and the accuracy."""
    from dlworkflow.errors import BadInput

    names = tuple(name.strip() for name in features.split(","))
    if len(names) != 2 or not all(names):
        raise BadInput(f"--features: '{features}' is not two column names separated by a comma")
    path = csv or _course("L2/dataset.csv")
    _finish(
        lambda: _lessons().logistic(
            path, names, target, lr, iterations, keras=not no_keras, keras_steps=keras_steps
        ),
        runs_dir,
    )


@scratch_app.command("xor")
def xor_command(
    csv: Annotated[Path | None, typer.Option(help="Default: course/L4/xor.csv.")] = None,
    hidden: Annotated[int, typer.Option(help="Hidden units.")] = 2,
    activation: Annotated[str, typer.Option(help="Hidden activation.")] = "sigmoid",
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 1.0,
    iterations: Annotated[int, typer.Option(help="Full-batch steps.")] = 5000,
    seed: Annotated[int, typer.Option(help="Initial weights.")] = 0,
    keras_steps: Annotated[int, typer.Option(help="Steps compared with Keras.")] = 100,
    no_keras: NoKeras = False,
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """A 2-2-1 network learns XOR: truth table, weights, decision regions."""
    path = csv or _course("L4/xor.csv")
    _finish(
        lambda: _lessons().xor(
            path,
            hidden,
            activation,
            lr,
            iterations,
            seed,
            keras=not no_keras,
            keras_steps=keras_steps,
        ),
        runs_dir,
    )


@scratch_app.command("conv")
def conv_command(
    image: Annotated[Path, typer.Argument(help="An image file (read as gray levels 0–255).")],
    kernel: Annotated[
        str, typer.Option(help="identity, sobel-x, sobel-y, sharpen, blur or edge.")
    ] = "sobel-x",
    stride: Annotated[int, typer.Option(help="Stride.")] = 1,
    padding: Annotated[str, typer.Option(help="same or valid.")] = "same",
    no_keras: NoKeras = False,
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """Convolve an image with a named kernel by loops, by im2col and with Keras' Conv2D."""
    _finish(
        lambda: _lessons().convolution(image, kernel, stride, padding, keras=not no_keras),
        runs_dir,
    )


@scratch_app.command("activations")
def activations_command(no_keras: NoKeras = False, runs_dir: RunsDir = Path("runs")) -> None:
    """Each activation function and its derivative, checked two ways."""
    _finish(lambda: _lessons().activations(keras=not no_keras), runs_dir)
