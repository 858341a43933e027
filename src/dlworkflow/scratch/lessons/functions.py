"""Convolution of an image with a named kernel, and the activation functions."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from dlworkflow.errors import BadInput
from dlworkflow.scratch import ACTIVATIONS, conv2d, conv2d_loops, max_pool2d, named_kernel
from dlworkflow.scratch import figures as plots
from dlworkflow.scratch.data import read_gray_image
from dlworkflow.scratch.lessons.common import (
    TOLERANCE,
    Lesson,
    Table,
    describe_data,
    max_diff,
    positive,
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
    positive("--stride", stride)
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
        checks.append(["conv2d by loops", max_diff(output, loops)])
    if keras:
        from dlworkflow.scratch.keras_twin import keras_conv2d, keras_max_pool2d

        checks.append(
            [
                "keras Conv2D",
                max_diff(output, keras_conv2d(pixels, kernel, stride, padding)[:, :, 0]),
            ]
        )
        checks.append(["keras MaxPooling2D", max_diff(pooled, keras_max_pool2d(output)[:, :, 0])])
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
        row = [name, act.formula, max_diff(act.derivative(z, a), numeric)]
        if keras:
            from dlworkflow.scratch.keras_twin import keras_activation

            row.append(max_diff(a, keras_activation(name, z)))
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
