"""The course's evaluation figures: confusion matrix, training curves, regression fit."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay

from dlworkflow.figures import plt
from dlworkflow.runfolder import BOOKKEEPING

ANNOTATE_UP_TO = 30  # classes; beyond this the cells are too small to read


def confusion_matrix_figure(counts: np.ndarray, class_names: list[str]) -> Figure:
    """Seed 000's ``plot_confusion_matrix``: "count (pct%)" per cell, row-normalised colour.

    scikit-learn's ``ConfusionMatrixDisplay`` draws the matrix and picks each cell's text
    colour; ours are the cell texts (count and row percentage), the figure size and the
    label size and rotation for many or long class names.
    """
    counts = np.asarray(counts)
    totals = counts.sum(axis=1, keepdims=True)
    percent = np.divide(100.0 * counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    size = len(class_names)
    side = min(max(6.0 if size > 2 else 4.0, 0.6 * size), 22.0)  # a 2×2 matrix stays small
    figure, axis = plt.subplots(figsize=(side, side * 0.9))
    display = ConfusionMatrixDisplay(percent, display_labels=class_names).plot(
        ax=axis,
        cmap="Blues",
        colorbar=False,
        include_values=size <= ANNOTATE_UP_TO,  # beyond, the cells are too small to read
        im_kw={"vmin": 0, "vmax": 100},
        text_kw={"fontsize": 8 if size <= 6 else 7 if size <= 12 else 6},  # "(89.5%)" fits
    )
    if display.text_ is not None:
        for (row, column), text in np.ndenumerate(display.text_):
            text.set_text(f"{counts[row, column]}\n({percent[row, column]:.1f}%)")
    figure.colorbar(display.im_, ax=axis, fraction=0.046, pad=0.04, label="% of the actual class")
    fontsize = max(4, 10 - size // 15)
    # a label must fit its column: a character is about 0.6 of the font size wide
    label_inches = max(map(len, class_names), default=0) * 0.6 * fontsize / 72
    crowded = size > 10 or label_inches > 0.8 * side / size
    axis.set_xticks(
        range(size),
        class_names,
        rotation=45 if crowded else 0,
        ha="right" if crowded else "center",
        rotation_mode="anchor",
        fontsize=fontsize,
    )
    axis.set_yticks(range(size), class_names, fontsize=fontsize)
    axis.set_xlabel("predicted label")
    axis.set_ylabel("true label")
    axis.set_title("confusion matrix")
    return figure


def curve_metric(history: dict[str, list[float]]) -> str | None:
    """The first compiled metric in a history (the one plotted beside the loss)."""
    return next(
        (
            k
            for k in history
            if k not in ("loss", "stage", *BOOKKEEPING) and not k.startswith("val_")
        ),
        None,
    )


def training_curves_figure(
    history: dict[str, list[float]], best_epoch: int | None, stage_starts: tuple[int, ...] = ()
) -> Figure:
    """Loss and the first metric, train dashed against validation solid; LR if it changed.

    ``stage_starts``: the first epochs of later training stages (fine-tuning), marked.
    """
    metric = curve_metric(history)
    lr = history.get("lr", [])
    panels = ["loss"] + ([metric] if metric else []) + (["lr"] if len(set(lr)) > 1 else [])
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for axis, name in zip(axes[0], panels, strict=True):
        if name == "lr":
            axis.plot(epochs, lr, color="tab:purple")
            axis.set_yscale("log")
            axis.set_ylabel("learning rate")
        else:
            axis.plot(epochs, history[name], "--", label=f"train {name}")
            if f"val_{name}" in history:
                axis.plot(epochs, history[f"val_{name}"], label=f"validation {name}")
            axis.set_ylabel(name)
        if best_epoch:
            axis.axvline(best_epoch, color="gray", linestyle=":", label=f"best epoch {best_epoch}")
        for number, start in enumerate(stage_starts, start=2):
            axis.axvline(
                start - 0.5, color="tab:red", linestyle="--", label=f"stage {number} starts"
            )
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_title(name)
        axis.legend()
    return figure


def regression_figure(y_true: np.ndarray, y_pred: np.ndarray) -> Figure:
    """Actual against predicted with the y = x line, and residuals against predicted.

    scikit-learn's ``PredictionErrorDisplay`` draws both panels (every point: no
    subsampling); the titles, labels and legend are ours.
    """
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    figure, (fit, residual) = plt.subplots(1, 2, figsize=(11, 4.5))
    points = {"s": 14, "alpha": 0.7}
    PredictionErrorDisplay.from_predictions(
        y_true,
        y_pred,
        kind="actual_vs_predicted",
        subsample=None,
        ax=fit,
        scatter_kwargs=points,
        line_kwargs={"color": "tab:red", "linestyle": "-", "label": "y = x"},
    )
    for ticks in (fit.xaxis, fit.yaxis):  # round numbers, not the display's five even steps
        ticks.set_major_locator(MaxNLocator(6))
    fit.set_xlabel("predicted")
    fit.set_ylabel("actual")
    fit.set_title("actual vs predicted")
    fit.legend()
    PredictionErrorDisplay.from_predictions(
        y_true,
        y_pred,
        kind="residual_vs_predicted",
        subsample=None,
        ax=residual,
        scatter_kwargs=points,
        line_kwargs={"color": "tab:red", "linestyle": "-"},
    )
    residual.set_xlabel("predicted")
    residual.set_ylabel("actual − predicted")
    residual.set_title("residuals")
    return figure
