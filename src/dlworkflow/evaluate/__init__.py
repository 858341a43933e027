"""Step 10 of the workflow: metrics and figures from true labels and predictions."""

from dlworkflow.evaluate.classification import (
    classification_metrics,
    most_confused,
    predicted_labels,
)
from dlworkflow.evaluate.display import Evaluation
from dlworkflow.evaluate.regression import regression_metrics

__all__ = [
    "Evaluation",
    "classification_metrics",
    "most_confused",
    "predicted_labels",
    "regression_metrics",
]
