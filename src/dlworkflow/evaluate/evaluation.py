"""Evaluate a run's predictions: numbers into a dict, figures into a folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlworkflow.data import Dataset
from dlworkflow.evaluate.classification import classification_metrics
from dlworkflow.evaluate.plots import (
    confusion_matrix_figure,
    regression_figure,
    training_curves_figure,
)
from dlworkflow.evaluate.regression import regression_metrics
from dlworkflow.figures import save_figure


def evaluate_predictions(
    dataset: Dataset, y_true: np.ndarray, y_prob: np.ndarray, figures: Path | None = None
) -> dict:
    """Task-appropriate metrics; with ``figures``, also the confusion matrix or fit plots."""
    if dataset.task == "regression":
        n_features = int(np.prod(dataset.input_shape))
        result = regression_metrics(y_true, y_prob, n_features)
        if figures is not None:
            save_figure(regression_figure(y_true, y_prob), figures / "regression.svg")
        return result
    result = classification_metrics(y_true, y_prob, dataset.class_names)
    if figures is not None:
        figure = confusion_matrix_figure(
            np.asarray(result["confusion_matrix"]), dataset.class_names
        )
        save_figure(figure, figures / "confusion_matrix.svg")
    return result


def save_training_curves(history: dict, best_epoch: int | None, figures: Path) -> Path:
    return save_figure(training_curves_figure(history, best_epoch), figures / "training_curves.svg")
