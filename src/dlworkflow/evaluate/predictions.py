"""What every metric needs of its inputs, refused in one clear line when missing.

scikit-learn refuses NaN and infinite predictions; argmax and ``>= 0.5`` would quietly
read a NaN row as class 0, so an evaluation of a diverged model would look merely bad.
"""

from __future__ import annotations

import numpy as np

from dlworkflow.errors import BadInput


def finite_predictions(y_prob: np.ndarray, name: str = "y_prob") -> np.ndarray:
    """``y_prob`` as float64, refused when a value is NaN or infinite (the first row named)."""
    y_prob = np.asarray(y_prob, np.float64)
    bad = ~np.isfinite(y_prob.reshape(len(y_prob), -1)).all(axis=1) if y_prob.size else []
    if np.any(bad):
        rows = np.flatnonzero(bad)
        first = np.array2string(y_prob[rows[0]], threshold=6)
        raise BadInput(
            f"predictions: {name} row {rows[0]} is {first}: "
            f"{len(rows)} of {len(y_prob)} rows hold NaN or infinity (a model whose loss "
            "diverged predicts NaN); metrics need finite values"
        )
    return y_prob


def class_ids(y_true: np.ndarray) -> np.ndarray:
    """Labels as one class id per row; a one-hot or multi-column ``y_true`` is refused."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 2 and y_true.shape[1] > 1:
        one_hot = np.isin(y_true, (0, 1)).all() and (y_true.sum(axis=1) == 1).all()
        what = "one-hot rows" if one_hot else f"{y_true.shape[1]} columns"
        raise BadInput(
            f"predictions: y_true of shape {y_true.shape} has {what}; give one class id "
            "per row (for one-hot labels: y_true.argmax(axis=1))"
        )
    return y_true.astype(np.int64).reshape(-1)
