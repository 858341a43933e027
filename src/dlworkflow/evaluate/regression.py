"""Step 10 for regression: the notes' metrics (MSE, MAE, RMSE, R², adjusted R², MAPE, MPE)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray, n_features: int) -> dict:
    """MAPE and MPE skip targets equal to zero (division by zero) and say how many."""
    y_true = np.asarray(y_true, np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, np.float64).reshape(-1)
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
