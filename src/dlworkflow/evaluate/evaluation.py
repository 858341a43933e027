"""Evaluate predictions on one split: numbers into a dict, figures into a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from dlworkflow.data import Dataset, Split
from dlworkflow.evaluate.boundary import decision_boundary_figure
from dlworkflow.evaluate.classification import classification_metrics, positive_scores
from dlworkflow.evaluate.curves import (
    ovr_roc_figure,
    roc_pr_figure,
    threshold_figure,
    threshold_sweep,
)
from dlworkflow.evaluate.mistakes import misclassified_gallery_figure
from dlworkflow.evaluate.multilabel import Thresholds, evaluate_multilabel
from dlworkflow.evaluate.plots import (
    confusion_matrix_figure,
    regression_figure,
    training_curves_figure,
)
from dlworkflow.evaluate.regression import regression_metrics
from dlworkflow.figures import save_figure

Predict = Callable[[np.ndarray], np.ndarray]


def evaluate_predictions(
    dataset: Dataset,
    split: Split,
    y_prob: np.ndarray,
    figures: Path | None = None,
    predict: Predict | None = None,
    thresholds: Thresholds | None = None,
) -> dict:
    """Task-appropriate metrics for ``split``; with ``figures``, every figure that applies.

    ``predict`` (preprocessed inputs → model outputs) is needed only for the decision
    boundary of 2-feature data; ``thresholds`` only for multilabel (0.5 per label if None).
    """
    if dataset.task == "multilabel":
        return evaluate_multilabel(dataset, split, y_prob, figures, thresholds)
    if dataset.task == "regression":
        result = regression_metrics(split.y, y_prob, int(np.prod(dataset.input_shape)))
        if figures is not None:
            save_figure(regression_figure(split.y, y_prob), figures / "regression.svg")
        return result
    result = classification_metrics(split.y, y_prob, dataset.class_names)
    both_classes = len(np.unique(split.y)) == 2
    if dataset.num_classes == 2 and both_classes:
        sweep = threshold_sweep(split.y, positive_scores(y_prob))
        result["threshold"] = {
            "best_threshold": sweep["best_threshold"],
            "best_f1": sweep["best_f1"],
        }
    if figures is None:
        return result
    names = dataset.class_names
    counts = np.asarray(result["confusion_matrix"])
    save_figure(confusion_matrix_figure(counts, names), figures / "confusion_matrix.svg")
    if "threshold" in result:
        scores = positive_scores(y_prob)
        save_figure(roc_pr_figure(split.y, scores), figures / "roc_pr.svg")
        save_figure(threshold_figure(sweep), figures / "threshold.svg")
    elif dataset.num_classes > 2:
        save_figure(ovr_roc_figure(split.y, y_prob, names), figures / "roc_ovr.svg")
    if dataset.kind == "image":
        gallery = misclassified_gallery_figure(split.x, split.y, y_prob, names)
        if gallery is not None:
            save_figure(gallery, figures / "misclassified.png")
    elif dataset.input_shape == (2,) and predict is not None:
        test = split if split is not dataset.train else None
        figure = decision_boundary_figure(
            predict, dataset.preprocessing, dataset.train, test, names, dataset.feature_names
        )
        save_figure(figure, figures / "decision_boundary.svg")
    return result


def save_training_curves(history: dict, best_epoch: int | None, figures: Path) -> Path:
    return save_figure(training_curves_figure(history, best_epoch), figures / "training_curves.svg")
