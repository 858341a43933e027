"""The evaluation's numbers as a dict that a notebook shows as tables and a confusion matrix."""

from __future__ import annotations

import numpy as np

from dlworkflow.evaluate.plots import confusion_matrix_figure
from dlworkflow.pages.notebook import figure_html, html_block, html_table

HEADLINE = (
    "accuracy",
    "error_rate",
    "sensitivity",
    "specificity",
    "roc_auc",
    "average_precision",
    "roc_auc_ovr_macro",
    "mse",
    "mae",
    "rmse",
    "r2",
    "adjusted_r2",
    "mape",
    "mpe",
)
REPORT_COLUMNS = ("precision", "recall", "f1-score", "support")


class Evaluation(dict):
    """What :func:`classification_metrics` or :func:`regression_metrics` return: a plain
    dict (``metrics.json`` holds it as it is) that a notebook shows inline."""

    def _repr_html_(self) -> str:
        numbers = [(key, self[key]) for key in HEADLINE if self.get(key) is not None]
        parts = [html_table(numbers, ("metric", "value"))]
        report = self.get("report", {})
        if report:  # per class, then the averages: scikit-learn's classification report
            rows = [
                (name, *(values[c] for c in REPORT_COLUMNS[:-1]), int(values["support"]))
                for name, values in report.items()
                if isinstance(values, dict)
            ]
            parts.append(html_table(rows, ("class", *REPORT_COLUMNS)))
        names = [n for n, v in report.items() if isinstance(v, dict) and not n.endswith(" avg")]
        counts = np.asarray(self.get("confusion_matrix", []))
        if names and counts.shape == (len(names), len(names)):
            parts.append(figure_html(confusion_matrix_figure(counts, names), "confusion matrix"))
        return html_block("Evaluation", *parts)
