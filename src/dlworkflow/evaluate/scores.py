"""``model.evaluate``'s loss and metrics from the predictions already made.

A run predicts the test set once for its figures; scoring those predictions with the
model's own compiled loss and metric objects gives what a second ``model.evaluate``
pass would (the losses and metrics are means or confusion counts over samples, so
batching does not change them), for half the forward passes.
"""

from __future__ import annotations

import keras
import numpy as np


def scores_from_predictions(
    model: keras.Model, y_true: np.ndarray, y_pred: np.ndarray
) -> dict[str, float] | None:
    """``{"loss": …, metric: …}`` as ``model.evaluate(return_dict=True)`` gives them, or
    None where the predictions are not enough: an uncompiled model, or activity
    regularisers (their penalty belongs to the forward pass, not to ``y_pred``)."""
    if not model.compiled or any(
        getattr(layer, "activity_regularizer", None) is not None
        for layer in model._flatten_layers()
    ):
        return None
    y = keras.ops.convert_to_tensor(y_true)
    p = keras.ops.convert_to_tensor(np.asarray(y_pred, np.float32))
    model.reset_metrics()
    loss = model.compute_loss(x=None, y=y, y_pred=p, training=False)  # + weight penalties
    results = model.compute_metrics(None, y, p, sample_weight=None)
    model.reset_metrics()
    return {**{k: float(v) for k, v in results.items()}, "loss": float(loss)}
