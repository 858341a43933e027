"""The course's ``plot_decision_boundary`` (seed 002) for any 2-feature classifier.

The model's prediction over a grid of raw coordinates shows what it has learnt where
there are no points: a straight edge on the circles data means a linear model, a
ragged one around single points means overfitting.  The grid is scaled with the
dataset's fitted preprocessing, so the model sees it exactly as it saw the data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from sklearn.inspection import DecisionBoundaryDisplay

from dlworkflow.data import Preprocessing, Split
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.classification import positive_scores
from dlworkflow.figures import plt

MESH_STEPS = 200  # per axis: smooth edges, and 40,000 rows is still one quick batch
MARGIN = 0.1  # of each axis' span, so points on the edge are not cut in half
BINARY_MAP = plt.get_cmap("RdYlBu")  # the course's: red for class 0, blue for class 1


def decision_boundary_figure(
    predict: Callable[[np.ndarray], np.ndarray],
    preprocessing: Preprocessing,
    train: Split,
    test: Split | None,
    class_names: list[str],
    feature_names: list[str] | None = None,
) -> Figure:
    """Predicted class over the plane with the true points on top; train beside test.

    ``predict`` takes a preprocessed batch and returns the model's outputs (one sigmoid
    column, or one column per class).  Binary problems show P(class 1) with its 0.5
    contour, as the course does; multiclass ones each class's region shaded by its score
    (pale where the model hesitates).  scikit-learn's ``DecisionBoundaryDisplay`` draws
    the surfaces from our mesh, predicted in one batch with the points (its
    ``from_estimator`` needs a scikit-learn estimator and predicts the mesh alone).
    """
    panels = {"train": train} | ({"test": test} if test is not None else {})
    for name, split in panels.items():
        if split.x.ndim != 2 or split.x.shape[1] != 2:
            raise BadInput(
                f"decision boundary: needs exactly 2 input features, the {name} split has "
                f"inputs of shape {tuple(split.x.shape[1:])}"
            )
    points = np.concatenate([split.x for split in panels.values()]).astype(np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = MARGIN * np.where(high > low, high - low, 1.0)
    xx, yy = np.meshgrid(
        np.linspace(low[0] - pad[0], high[0] + pad[0], MESH_STEPS),
        np.linspace(low[1] - pad[1], high[1] + pad[1], MESH_STEPS),
    )
    mesh = np.c_[xx.ravel(), yy.ravel()]
    # One call for the mesh and every point: the points' predictions give the accuracies.
    outputs = np.asarray(predict(preprocessing.apply(np.concatenate([mesh, points]))))
    binary = len(class_names) == 2
    if binary:
        surface = positive_scores(outputs)
        labels = (surface >= 0.5).astype(np.int64)
        grid = surface[: len(mesh)].reshape(xx.shape)  # P(class 1)
    else:
        labels = outputs.argmax(axis=1)
        grid = outputs[: len(mesh)].reshape(*xx.shape, len(class_names))  # one score a class
    point_labels = labels[len(mesh) :]
    palette = palette_of(class_names)
    boundary = DecisionBoundaryDisplay(
        xx0=xx,
        xx1=yy,
        n_classes=len(class_names),
        response=grid,
        multiclass_colors=None if binary else [tuple(colour) for colour in palette],
    )
    names = feature_names or ["x0", "x1"]
    figure, axes = plt.subplots(
        1, len(panels), figsize=(6.2 * len(panels) + (1 if binary else 0), 5.2), squeeze=False
    )
    start = 0
    for axis, (name, split) in zip(axes[0], panels.items(), strict=True):
        accuracy = float(np.mean(point_labels[start : start + len(split)] == split.y))
        start += len(split)
        if binary:
            boundary.plot(
                ax=axis, levels=np.linspace(0, 1, 11), cmap=BINARY_MAP, alpha=0.6, zorder=-1
            )
            filled = boundary.surface_
            boundary.plot("contour", ax=axis, levels=[0.5], colors="k", linewidths=1)
        else:  # each class's region shaded by its score: pale where the model hesitates
            boundary.plot(ax=axis, alpha=0.55)
        axis.scatter(
            split.x[:, 0],
            split.x[:, 1],
            c=palette[split.y.astype(np.int64)],
            s=18,
            edgecolors="k",
            linewidths=0.5,
        )
        axis.set_xlabel(f"{names[0]} (raw)")
        axis.set_ylabel(f"{names[1]} (raw)")
        axis.set_title(f"{name}: {len(split)} points, accuracy {accuracy:.3f}")
    _legend(axes[0][-1], palette, class_names, binary)
    if binary:
        figure.colorbar(filled, ax=list(axes[0]), label=f"P({class_names[1]})")
    figure.suptitle("decision boundary")
    return figure


def palette_of(class_names: list[str]) -> np.ndarray:
    """One RGBA row per class: the ends of the course's red/blue map for two classes."""
    classes = len(class_names)
    if classes == 2:
        return np.array([BINARY_MAP(0.0), BINARY_MAP(1.0)])
    base = plt.get_cmap("tab10" if classes <= 10 else "tab20")
    return np.array([base(k % base.N) for k in range(classes)])


def _legend(axis: Axes, palette: np.ndarray, class_names: list[str], binary: bool) -> None:
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markeredgecolor="k",
            markerfacecolor=palette[k],
            label=f"class {name}",
        )
        for k, name in enumerate(class_names)
    ]
    if binary:
        handles.append(Line2D([], [], color="k", linewidth=1, label="P = 0.5"))
    axis.legend(handles=handles, loc="best", fontsize=8, framealpha=0.85)
