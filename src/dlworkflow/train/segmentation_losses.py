"""Per-pixel losses for masks: cross-entropy (the notes' loss), soft Dice, and their sum.

``y_true`` holds class ids (``N×H×W`` or ``N×H×W×1``); ``y_pred`` is either one
sigmoid channel (two classes) or a softmax over the classes. Both are turned into
per-class probabilities first, so every loss treats the two heads alike. The classes
are registered with Keras so a saved ``model.keras`` loads back without extra code.
"""

from __future__ import annotations

import keras
from keras import ops

from dlworkflow.errors import BadInput

EPSILON = 1e-7
SMOOTH = 1.0  # Dice's smoothing: an empty class in an empty prediction scores 1


def class_probabilities(y_pred):
    """``[1 − p, p]`` for one sigmoid channel, the softmax itself otherwise."""
    if y_pred.shape[-1] == 1:
        return ops.concatenate([1.0 - y_pred, y_pred], axis=-1)
    return y_pred


def _one_hot(y_true, classes: int):
    ids = ops.cast(y_true, "int32")
    if len(ids.shape) == 4:
        ids = ops.squeeze(ids, axis=-1)
    return ops.one_hot(ids, classes)


def pixel_cross_entropy(y_true, y_pred):
    """Mean over pixels of −log p(true class) (``binary_crossentropy`` per pixel for
    one sigmoid channel, ``sparse_categorical_crossentropy`` for a softmax)."""
    probabilities = ops.clip(class_probabilities(y_pred), EPSILON, 1.0 - EPSILON)
    target = _one_hot(y_true, probabilities.shape[-1])
    return -ops.mean(ops.sum(target * ops.log(probabilities), axis=-1), axis=(1, 2))


def dice_loss(y_true, y_pred):
    """1 − mean over classes of the soft Dice ``(2·Σpt + s) / (Σp + Σt + s)`` per image."""
    probabilities = class_probabilities(y_pred)
    target = _one_hot(y_true, probabilities.shape[-1])
    overlap = ops.sum(probabilities * target, axis=(1, 2))
    sizes = ops.sum(probabilities, axis=(1, 2)) + ops.sum(target, axis=(1, 2))
    return 1.0 - ops.mean((2.0 * overlap + SMOOTH) / (sizes + SMOOTH), axis=-1)


@keras.saving.register_keras_serializable(package="dlworkflow")
class SegmentationLoss(keras.losses.Loss):
    """``kind``: ``pixel_ce``, ``dice`` or ``pixel_ce+dice``."""

    def __init__(self, kind: str = "pixel_ce", name: str | None = None, **kwargs) -> None:
        if kind not in LOSSES:
            raise BadInput(f"compile.loss: '{kind}' is not one of {', '.join(LOSSES)}")
        super().__init__(name=name or kind.replace("+", "_plus_"), **kwargs)
        self.kind = kind

    def call(self, y_true, y_pred):
        return sum(part(y_true, y_pred) for part in LOSSES[self.kind])

    def get_config(self) -> dict:
        return {**super().get_config(), "kind": self.kind}


LOSSES = {
    "pixel_ce": (pixel_cross_entropy,),
    "dice": (dice_loss,),
    "pixel_ce+dice": (pixel_cross_entropy, dice_loss),
}


def segmentation_metrics(num_classes: int, sigmoid: bool) -> list[keras.metrics.Metric]:
    """Pixel accuracy and mean IoU, logged every epoch under those names."""
    if sigmoid:
        return [
            keras.metrics.BinaryAccuracy(name="pixel_accuracy"),
            keras.metrics.BinaryIoU(target_class_ids=[0, 1], name="mean_iou"),
        ]
    return [
        keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy"),
        keras.metrics.MeanIoU(num_classes=num_classes, sparse_y_pred=False, name="mean_iou"),
    ]
