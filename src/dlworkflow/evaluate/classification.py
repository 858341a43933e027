"""Step 10 for classifiers: the numbers of the course's evaluation, from y_true and y_prob.

scikit-learn computes every metric; this module only chooses them and shapes the
result as plain data for ``metrics.json`` and the report.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    classification_report,
    confusion_matrix,
    roc_auc_score,
)

from dlworkflow.errors import BadInput
from dlworkflow.evaluate.display import Evaluation
from dlworkflow.evaluate.predictions import class_ids, finite_predictions


def predicted_labels(y_prob: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Class ids from model outputs: one sigmoid column, or one column per class."""
    y_prob = np.asarray(y_prob)
    if y_prob.ndim == 1 or y_prob.shape[1] == 1:
        return (y_prob.reshape(-1) >= threshold).astype(np.int64)
    return y_prob.argmax(axis=1)


def positive_scores(y_prob: np.ndarray) -> np.ndarray:
    """The score of class 1 for a binary problem, whatever the output layout."""
    y_prob = np.asarray(y_prob)
    return y_prob.reshape(-1) if y_prob.ndim == 1 or y_prob.shape[1] == 1 else y_prob[:, 1]


def classification_metrics(
    y_true: np.ndarray, y_prob: np.ndarray, class_names: list[str]
) -> Evaluation:
    """Accuracy, error rate, the classification report, confusion matrix and AUCs."""
    y_true = class_ids(y_true)
    y_prob = finite_predictions(y_prob)
    classes = len(class_names)
    _check_shapes(y_true, y_prob, classes)
    y_pred = predicted_labels(y_prob)
    labels = list(range(classes))
    counts = confusion_matrix(y_true, y_pred, labels=labels)
    row_totals = counts.sum(axis=1, keepdims=True)
    percent = np.divide(
        100.0 * counts, row_totals, out=np.zeros(counts.shape), where=row_totals > 0
    )
    accuracy = float(np.trace(counts) / counts.sum())
    result = {
        "accuracy": accuracy,
        "error_rate": 1.0 - accuracy,
        "report": classification_report(
            y_true,
            y_pred,
            labels=labels,
            target_names=class_names,
            output_dict=True,
            zero_division=0,
        ),
        "report_text": classification_report(
            y_true, y_pred, labels=labels, target_names=class_names, digits=4, zero_division=0
        ),
        "confusion_matrix": counts.tolist(),
        "confusion_matrix_percent": percent.round(2).tolist(),
    }
    present = np.unique(y_true)
    if classes == 2:
        result.update(_binary(y_true, positive_scores(y_prob), counts, len(present) == 2))
    else:
        result["most_confused"] = most_confused(counts, class_names)
        if len(present) == classes:
            result["roc_auc_ovr_macro"] = float(
                roc_auc_score(y_true, _normalised(y_prob), multi_class="ovr", labels=labels)
            )
    return Evaluation(result)


def most_confused(counts: np.ndarray, class_names: list[str], top: int = 10) -> list[dict]:
    """The largest off-diagonal cells: (actual, predicted, count), largest first."""
    off = counts.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:top]
    pairs = []
    for flat in order:
        actual, predicted = np.unravel_index(flat, off.shape)
        if off[actual, predicted] == 0:
            break
        pairs.append(
            {
                "actual": class_names[actual],
                "predicted": class_names[predicted],
                "count": int(off[actual, predicted]),
            }
        )
    return pairs


def _binary(y_true: np.ndarray, scores: np.ndarray, counts: np.ndarray, both: bool) -> dict:
    """TN/FP/FN/TP with the names seed 000 uses (sensitivity, specificity)."""
    tn, fp, fn, tp = (int(v) for v in counts.ravel())
    result = {
        "tn": tn,
        "fp": fp,
        "fn": fn,
        "tp": tp,
        "sensitivity": tp / (tp + fn) if tp + fn else 0.0,
        "specificity": tn / (tn + fp) if tn + fp else 0.0,
    }
    if both:  # AUCs are undefined when the test set holds one class only
        result["roc_auc"] = float(roc_auc_score(y_true, scores))
        result["average_precision"] = float(average_precision_score(y_true, scores))
    return result


def _normalised(y_prob: np.ndarray) -> np.ndarray:
    """Rows that sum to 1 (sigmoid-per-class outputs, as in Lab 1, do not)."""
    totals = y_prob.sum(axis=1, keepdims=True)
    return np.divide(
        y_prob, totals, out=np.full(y_prob.shape, 1 / y_prob.shape[1]), where=totals > 0
    )


def _check_shapes(y_true: np.ndarray, y_prob: np.ndarray, classes: int) -> None:
    columns = 1 if y_prob.ndim == 1 else y_prob.shape[1]
    if len(y_prob) != len(y_true):
        raise BadInput(f"predictions: {len(y_prob)} rows of y_prob for {len(y_true)} labels")
    fits = columns == classes or (classes == 2 and columns == 1)
    if not fits:
        raise BadInput(
            f"predictions: the model gives {columns} output column(s) but the data has "
            f"{classes} classes (y_prob shape {tuple(y_prob.shape)})"
        )
    if y_true.min() < 0 or y_true.max() >= classes:
        raise BadInput(f"predictions: labels outside 0..{classes - 1} in y_true")
