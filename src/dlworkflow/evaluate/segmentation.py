"""Segmentation scores from integer masks: the pixel confusion matrix and what it gives.

Everything follows from one ``K×K`` confusion matrix over pixels (rows true, columns
predicted), so per-class IoU, Dice/F1, pixel accuracy and mean IoU always agree with
each other. A class absent from both truth and prediction has no IoU or Dice (``None``)
and is left out of the means, as ``keras.metrics.MeanIoU`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlworkflow.errors import BadInput


def pixel_confusion(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``counts[t, p]``: pixels of true class t predicted as p (int64, ``K×K``)."""
    y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
    y_pred = np.asarray(y_pred).reshape(-1).astype(np.int64)
    if y_true.shape != y_pred.shape:
        raise BadInput(
            f"masks: {y_true.size} true pixels but {y_pred.size} predicted; shapes must match"
        )
    for name, values in (("true", y_true), ("predicted", y_pred)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise BadInput(
                f"masks: {name} class ids span {values.min()}..{values.max()}, "
                f"outside 0..{num_classes - 1}"
            )
    flat = y_true * num_classes + y_pred
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, -1)


def scores_from_confusion(confusion: np.ndarray) -> dict[str, Any]:
    """Per-class IoU and Dice, their means over present classes, and pixel accuracy."""
    confusion = np.asarray(confusion, np.int64)
    hits = np.diag(confusion).astype(np.float64)
    true_pixels = confusion.sum(axis=1)
    predicted_pixels = confusion.sum(axis=0)
    union = true_pixels + predicted_pixels - hits
    both = true_pixels + predicted_pixels
    present = union > 0
    iou = np.divide(hits, union, out=np.zeros_like(hits), where=present)
    dice = np.divide(2 * hits, both, out=np.zeros_like(hits), where=present)
    total = confusion.sum()
    return {
        "pixel_accuracy": float(hits.sum() / total) if total else 0.0,
        "mean_iou": float(iou[present].mean()) if present.any() else 0.0,
        "mean_dice": float(dice[present].mean()) if present.any() else 0.0,
        "iou": [float(v) if p else None for v, p in zip(iou, present, strict=True)],
        "dice": [float(v) if p else None for v, p in zip(dice, present, strict=True)],
        "true_pixels": true_pixels.tolist(),
        "predicted_pixels": predicted_pixels.tolist(),
    }


def segmentation_scores(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, Any]:
    """All scores of a set of masks, plus the confusion matrix itself (as lists)."""
    confusion = pixel_confusion(y_true, y_pred, num_classes)
    return {**scores_from_confusion(confusion), "confusion": confusion.tolist()}


def per_image_iou(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Mean IoU of each image on its own (classes absent from both are skipped)."""
    return np.asarray(
        [
            scores_from_confusion(pixel_confusion(t, p, num_classes))["mean_iou"]
            for t, p in zip(y_true, y_pred, strict=True)
        ]
    )


def class_errors(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> list[dict]:
    """Per class of one image: pixels missed (false negatives) and wrongly claimed
    (false positives), and its IoU, so a bad image says which class went wrong."""
    confusion = pixel_confusion(y_true, y_pred, num_classes)
    scores = scores_from_confusion(confusion)
    hits = np.diag(confusion)
    return [
        {
            "class": k,
            "missed": int(confusion[k].sum() - hits[k]),
            "false_alarms": int(confusion[:, k].sum() - hits[k]),
            "iou": scores["iou"][k],
        }
        for k in range(num_classes)
    ]


def worst_images(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    num_classes: int,
    count: int = 6,
    ious: np.ndarray | None = None,
) -> list[dict]:
    """The ``count`` images of lowest mean IoU (ties by index), with per-class errors;
    ``ious`` are the images' mean IoUs when the caller has them already."""
    ious = per_image_iou(y_true, y_pred, num_classes) if ious is None else ious
    order = np.argsort(ious, kind="stable")[:count]
    return [
        {
            "index": int(i),
            "mean_iou": float(ious[i]),
            "classes": class_errors(y_true[i], y_pred[i], num_classes),
        }
        for i in order
    ]


def masks_from_scores(scores: np.ndarray) -> np.ndarray:
    """Class ids from a model's output: argmax over softmax channels, or a single
    sigmoid channel thresholded at 0.5 (the notes' binarisation)."""
    if scores.shape[-1] == 1:
        return (scores[..., 0] > 0.5).astype(np.int64)
    return np.argmax(scores, axis=-1).astype(np.int64)


def evaluate_masks(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str], worst: int = 6
) -> dict[str, Any]:
    """Everything ``metrics.json`` keeps about a split's masks: the scores, a row per
    class, each image's mean IoU and the ``worst`` images with their per-class errors."""
    count = len(class_names)
    scores = segmentation_scores(y_true, y_pred, count)
    ious = per_image_iou(y_true, y_pred, count)
    total = max(1, sum(scores["true_pixels"]))
    return {
        **scores,
        "class_names": class_names,
        "classes": [
            {
                "name": name,
                "iou": scores["iou"][k],
                "dice": scores["dice"][k],
                "true_share": scores["true_pixels"][k] / total,
                "predicted_share": scores["predicted_pixels"][k] / total,
            }
            for k, name in enumerate(class_names)
        ],
        "per_image_iou": ious.tolist(),
        "worst": worst_images(y_true, y_pred, count, worst, ious),
    }
