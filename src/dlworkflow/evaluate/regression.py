"""Step 10 for regression: the notes' metrics (MSE, MAE, RMSE, R², adjusted R², MAPE, MPE).

Several targets (y of shape (n, k)) are scored one output at a time and averaged with
equal weights, as scikit-learn's ``multioutput="uniform_average"`` does: flattening them
into one vector would judge each target against the spread of all of them.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from dlworkflow.errors import BadInput
from dlworkflow.evaluate.display import Evaluation
from dlworkflow.evaluate.predictions import finite_predictions


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray, n_features: int) -> Evaluation:
    """MAPE and MPE skip targets equal to zero (division by zero) and say how many.

    With several outputs the top-level numbers are their plain averages (RMSE: the
    average of each output's RMSE, as scikit-learn), ``outputs`` holds each one's.
    """
    y_true = np.asarray(y_true, np.float64)
    y_pred = finite_predictions(y_pred, "y_pred")
    y_true, y_pred = y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)
    if y_true.shape != y_pred.shape:
        raise BadInput(
            f"predictions: y_pred of shape {y_pred.shape} for y_true of shape {y_true.shape}"
        )
    outputs = [_one_output(y_true[:, j], y_pred[:, j], n_features) for j in range(y_true.shape[1])]
    if len(outputs) == 1:
        return Evaluation(outputs[0])
    averaged = {key: _mean([output[key] for output in outputs]) for key in outputs[0]}
    averaged["zero_targets_skipped"] = sum(output["zero_targets_skipped"] for output in outputs)
    return Evaluation(averaged, multioutput="uniform_average", outputs=outputs)


def _one_output(y_true: np.ndarray, y_pred: np.ndarray, n_features: int) -> dict:
    n = len(y_true)
    mse = mean_squared_error(y_true, y_pred)
    r2 = r2_score(y_true, y_pred) if n > 1 else float("nan")
    adjusted = 1 - (1 - r2) * (n - 1) / (n - n_features - 1) if n - n_features - 1 > 0 else None
    nonzero = y_true != 0
    relative = (y_true[nonzero] - y_pred[nonzero]) / y_true[nonzero]
    return {
        "mse": float(mse),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(mse)),
        "r2": float(r2),
        "adjusted_r2": None if adjusted is None else float(adjusted),
        "mape": float(100 * np.mean(np.abs(relative))) if relative.size else None,
        "mpe": float(100 * np.mean(relative)) if relative.size else None,
        "zero_targets_skipped": int((~nonzero).sum()),
    }


def _mean(values: list[float | None]) -> float | None:
    return None if None in values else float(np.mean(values))
