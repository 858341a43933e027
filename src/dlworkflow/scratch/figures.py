"""The pictures of the from-scratch lessons (matplotlib figures; saving is the caller's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dlworkflow.scratch.activations import ACTIVATIONS  # noqa: E402


def loss_curves(curves: dict[str, Sequence[float]], ylabel: str, log: bool = False) -> Figure:
    """Loss per iteration; several curves (hand vs Keras) overlay, later ones dashed."""
    figure, axes = plt.subplots(figsize=(6, 3.6))
    for index, (label, values) in enumerate(curves.items()):
        steps = np.arange(1, len(values) + 1)
        axes.plot(steps, values, "--" if index else "-", label=label, linewidth=1.8 - 0.6 * index)
    axes.set(xlabel="iteration", ylabel=ylabel)
    if log:
        axes.set_yscale("log")
    axes.legend()
    axes.grid(alpha=0.3)
    return figure


def fitted_line(
    x: np.ndarray,
    y: np.ndarray,
    lines: dict[str, np.ndarray],
    labels: tuple[str, str],
    marked: tuple[float, float] | None = None,
) -> Figure:
    """The data and each line y = w0 + w1·x (gradient descent, normal equation)."""
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.scatter(x, y, s=18, label="data")
    grid = np.linspace(min(x.min(), marked[0] if marked else x.min()), x.max(), 50)
    for index, (label, w) in enumerate(lines.items()):
        axes.plot(grid, w[0] + w[1] * grid, "-" if index == 0 else ":", label=label)
    if marked:
        axes.scatter(
            [marked[0]],
            [marked[1]],
            marker="*",
            s=160,
            color="red",
            zorder=3,
            label=f"prediction at {marked[0]:g}: {marked[1]:.1f}",
        )
    axes.set(xlabel=labels[0], ylabel=labels[1])
    axes.legend()
    return figure


def decision_line(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, labels: tuple[str, str], classes: tuple[str, str]
) -> Figure:
    """Two features, two classes, and the line w0 + w1·x1 + w2·x2 = 0 (p = 0.5)."""
    figure, axes = plt.subplots(figsize=(6, 4))
    for value, marker, name in ((1, "o", classes[1]), (0, "x", classes[0])):
        chosen = y == value
        axes.scatter(x[chosen, 0], x[chosen, 1], marker=marker, label=name)
    grid = np.linspace(x[:, 0].min() - 0.5, x[:, 0].max() + 0.5, 50)
    if abs(w[2]) > 1e-12:
        axes.plot(grid, -(w[0] + w[1] * grid) / w[2], "k-", label="p = 0.5")
    pad = 0.1 * np.ptp(x[:, 1])
    axes.set_ylim(x[:, 1].min() - pad, x[:, 1].max() + pad)
    axes.set(xlabel=labels[0], ylabel=labels[1])
    axes.legend()
    return figure


def decision_regions(
    predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray
) -> Figure:
    """The probability of class 1 over the plane, the 0.5 contour and the points."""
    figure, axes = plt.subplots(figsize=(5, 4.2))
    lo, hi = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
    p = predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    shade = axes.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
    axes.contour(g1, g2, p, levels=[0.5], colors="k")
    axes.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=80, vmin=0, vmax=1)
    figure.colorbar(shade, ax=axes, label="p(class 1)")
    axes.set(xlabel="x1", ylabel="x2")
    return figure


def convolution_panels(
    image: np.ndarray, kernel: np.ndarray, output: np.ndarray, pooled: np.ndarray, name: str
) -> Figure:
    """Input, kernel (with its numbers), output and the output max-pooled 2×2."""
    figure, axes = plt.subplots(1, 4, figsize=(13, 3.6), width_ratios=[3, 1.4, 3, 3])
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=255)
    axes[0].set_title(f"input {image.shape[1]}×{image.shape[0]}")
    limit = np.abs(kernel).max() or 1
    axes[1].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(kernel):
        colour = "white" if abs(value) > 0.6 * limit else "black"
        axes[1].text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=9, color=colour)
    axes[1].set_title(f"kernel {name}")
    axes[2].imshow(output, cmap="gray")
    axes[2].set_title(f"output {output.shape[1]}×{output.shape[0]}")
    axes[3].imshow(pooled, cmap="gray")
    axes[3].set_title(f"max-pooled 2×2: {pooled.shape[1]}×{pooled.shape[0]}")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return figure


def activation_panels() -> Figure:
    """Each activation and its derivative on z ∈ [−5, 5] (softmax: of z against 0)."""
    z = np.linspace(-5, 5, 401)
    figure, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(3 * len(ACTIVATIONS), 3))
    for ax, (name, act) in zip(axes, ACTIVATIONS.items(), strict=True):
        if name == "softmax":  # two inputs (z, 0): the first output is σ(z)
            pair = np.column_stack([z, np.zeros_like(z)])
            a = act.forward(pair)[:, 0]
            d = a * (1 - a)
        else:
            a = act.forward(z)
            d = act.derivative(z, a)
        ax.plot(z, a, label=name)
        ax.plot(z, d, "--", label="derivative")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return figure
