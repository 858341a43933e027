"""Threshold-free views of a classifier: ROC and precision-recall curves, threshold sweeps.

Accuracy and the confusion matrix judge one threshold (0.5); these curves show every
threshold at once, so a reader can see whether a different cut-off would serve the
task better (seed 000: sensitivity against specificity).  scikit-learn computes every
number; this module only draws them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import (
    PrecisionRecallDisplay,
    RocCurveDisplay,
    precision_recall_fscore_support,
    roc_auc_score,
)

from dlworkflow.errors import BadInput
from dlworkflow.figures import plt

MAX_OVR_CURVES = 10  # beyond this the legend and the colours no longer tell classes apart


def roc_pr_figure(y_true: np.ndarray, scores: np.ndarray) -> Figure:
    """ROC (with AUC and the chance diagonal) beside precision-recall (with AP).

    scikit-learn's displays compute and draw the curves; only the labels (three
    decimals, the course's axis names) and the limits are ours.
    """
    y_true, scores = _binary_inputs(y_true, scores)
    figure, (roc, pr) = plt.subplots(1, 2, figsize=(11, 4.8))
    _roc_display(roc, y_true, scores, "model")
    _chance_diagonal(roc)
    roc.set_xlabel("false positive rate (1 − specificity)")
    roc.set_ylabel("true positive rate (sensitivity)")
    roc.set_title("ROC curve")
    roc.legend(loc="lower right")
    display = PrecisionRecallDisplay.from_predictions(
        y_true,
        scores,
        ax=pr,
        curve_kwargs={"drawstyle": "steps-post"},
        plot_chance_level=True,
    )
    display.line_.set_label(f"model (AP = {display.average_precision:.3f})")
    display.chance_level_.set(color="gray", linestyle="--")
    display.chance_level_.set_label(f"chance (AP = {float(y_true.mean()):.3f})")
    pr.set_xlabel("recall (sensitivity)")
    pr.set_ylabel("precision")
    pr.set_title("precision-recall curve")
    pr.set_xlim(0, 1)
    pr.set_ylim(0, 1.02)
    pr.legend(loc="lower left")
    return figure


def threshold_sweep(y_true: np.ndarray, scores: np.ndarray, steps: int = 101) -> dict:
    """Precision, recall and F1 at ``steps`` evenly spaced thresholds on P(class 1).

    Predicting class 1 means ``score >= threshold``, as in ``predicted_labels``; where
    nothing is predicted positive, precision is 1 as in ``precision_recall_curve``.  Plain
    lists, for ``metrics.json``; ``best_threshold`` has the top F1, the one nearest the
    default 0.5 among ties, so a plateau does not move the cut-off for nothing.
    """
    y_true, scores = _binary_inputs(y_true, scores)
    thresholds = np.linspace(0.0, 1.0, steps)
    # One column per threshold: sklearn scores them all at once as a multilabel problem.
    predicted = (scores[:, None] >= thresholds[None, :]).astype(np.int8)
    actual = np.broadcast_to(y_true[:, None], predicted.shape).astype(np.int8)
    precision, recall, f1, _ = precision_recall_fscore_support(
        actual, predicted, average=None, zero_division=1.0
    )
    tied = np.flatnonzero(f1 == f1.max())
    best = int(tied[np.argmin(np.abs(thresholds[tied] - 0.5))])
    return {
        "thresholds": thresholds.round(6).tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1": f1.tolist(),
        "best_threshold": float(thresholds[best].round(6)),
        "best_f1": float(f1[best]),
    }


def threshold_figure(sweep: dict) -> Figure:
    """Precision, recall and F1 against the threshold, the best-F1 threshold marked."""
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name in ("precision", "recall", "f1"):
        axis.plot(sweep["thresholds"], sweep[name], label="F1" if name == "f1" else name)
    best, best_f1 = sweep["best_threshold"], sweep["best_f1"]
    axis.axvline(
        best, color="gray", linestyle=":", label=f"best F1 = {best_f1:.3f} at threshold {best:.2f}"
    )
    axis.axvline(0.5, color="lightgray", linestyle="--", label="default threshold 0.5")
    axis.set_xlabel("threshold on P(class 1)")
    axis.set_ylabel("score")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.02)
    axis.set_title("precision, recall and F1 by decision threshold")
    axis.legend(loc="lower left", fontsize=8)
    return figure


def ovr_roc_figure(y_true: np.ndarray, y_prob: np.ndarray, class_names: list[str]) -> Figure:
    """One-vs-rest ROC per class; the macro AUC (mean of per-class AUCs) in the title.

    Classes absent from ``y_true`` have no ROC and are left out of the macro AUC.  With
    more than ``MAX_OVR_CURVES`` classes only the lowest-AUC ones are drawn: those are
    the classes the model separates worst.
    """
    y_true = np.asarray(y_true).astype(np.int64).reshape(-1)
    y_prob = np.asarray(y_prob, np.float64)
    if y_prob.ndim != 2 or y_prob.shape != (len(y_true), len(class_names)):
        raise BadInput(
            f"one-vs-rest ROC: y_prob must have shape ({len(y_true)}, {len(class_names)}), "
            f"got {tuple(y_prob.shape)}"
        )
    present = [k for k in range(len(class_names)) if 0 < np.sum(y_true == k) < len(y_true)]
    if not present:
        raise BadInput("one-vs-rest ROC: y_true needs at least two different classes")
    aucs = {k: roc_auc_score(y_true == k, y_prob[:, k]) for k in present}
    macro = float(np.mean(list(aucs.values())))
    shown = sorted(present, key=lambda k: (aucs[k], k))[:MAX_OVR_CURVES]
    figure, axis = plt.subplots(figsize=(9.5, 6))
    curves = {
        k: _roc_display(axis, y_true == k, y_prob[:, k], class_names[k]) for k in sorted(shown)
    }
    _chance_diagonal(axis)
    axis.set_xlabel("false positive rate")
    axis.set_ylabel("true positive rate")
    scope = f"{len(present)} classes"
    if len(present) < len(class_names):
        scope = f"{len(present)} of {len(class_names)} classes present"
    title = f"one-vs-rest ROC: macro AUC = {macro:.3f} ({scope})"
    if len(shown) < len(present):
        title += f"\nthe {len(shown)} classes with the lowest AUC shown"
    axis.set_title(title)
    # the legend beside the axes keeps the lower right free for the zoomed corner
    axis.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)
    if min(aucs[k] for k in shown) >= ZOOM_FROM_AUC:
        _corner_inset(axis, list(curves.values()))
    return figure


ZOOM_FROM_AUC = 0.9  # every curve drawn hugs the top-left corner: zoom into it


def _roc_display(axis: Axes, y_true: np.ndarray, scores: np.ndarray, name: str) -> RocCurveDisplay:
    """scikit-learn's ROC curve of one class, labelled with its AUC to three decimals."""
    display = RocCurveDisplay.from_predictions(y_true, scores, ax=axis, name=name)
    display.line_.set_label(f"{name} (AUC = {display.roc_auc:.3f})")
    display.line_.set_linewidth(1.2)
    return display


def _corner_inset(axis: Axes, curves: list[RocCurveDisplay]) -> Axes:
    """The top-left corner, enlarged in the empty lower right, where good classifiers'
    curves clump and differ: as wide as it takes every curve to reach TPR 0.99 (0.02 to
    0.2 of FPR), and down to the lowest curve at that width."""
    reach = max(float(d.fpr[np.argmax(d.tpr >= 0.99)]) for d in curves)
    width = float(np.clip(np.ceil(reach * 1.5 * 50) / 50, 0.02, 0.2))
    low = min(float(np.interp(width, d.fpr, d.tpr)) for d in curves)
    bottom = max(0.0, np.floor((low - 0.02) * 20) / 20)
    inset = axis.inset_axes([0.42, 0.08, 0.55, 0.55])
    for display in curves:
        inset.plot(display.fpr, display.tpr, color=display.line_.get_color(), linewidth=1.2)
    inset.set_xlim(0, width)
    inset.set_ylim(bottom, 1.005)
    inset.xaxis.set_major_locator(MaxNLocator(4))
    inset.yaxis.set_major_locator(MaxNLocator(5))
    inset.tick_params(labelsize=7)
    inset.set_title("top-left corner, enlarged", fontsize=8)
    axis.indicate_inset_zoom(inset, edgecolor="gray")
    return inset


def _chance_diagonal(axis: Axes) -> None:
    axis.plot([0, 1], [0, 1], color="gray", linestyle="--", label="chance (AUC = 0.5)")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.02)


def _binary_inputs(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels as 0/1 ints and scores as floats, checked: curves need both classes."""
    y_true = np.asarray(y_true).astype(np.int64).reshape(-1)
    scores = np.asarray(scores, np.float64)
    if scores.shape != y_true.shape:
        raise BadInput(
            f"binary curves: scores must be 1-D with one value per label ({len(y_true)}), "
            f"got shape {tuple(scores.shape)}"
        )
    if set(np.unique(y_true)) != {0, 1}:
        raise BadInput(
            f"binary curves: y_true must hold both classes 0 and 1, got {np.unique(y_true)}"
        )
    return y_true, scores
