"""Greedy non-maximum suppression, class-agnostic and per class.

Same rule as ``tf.image.non_max_suppression``: visit boxes by falling score and keep
one unless its IoU with an already kept box is above ``iou_threshold``.
"""

from __future__ import annotations

import numpy as np

from dlworkflow.detection.boxes import box_area


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float = 0.5,
    score_threshold: float = -np.inf,
    max_output: int | None = None,
) -> np.ndarray:
    """Indices of the kept ``xyxy`` boxes, highest score first.

    Boxes scoring ``score_threshold`` or less are dropped first (TensorFlow's rule).
    Each kept box suppresses the remaining ones at once, so the cost is one vector
    operation per kept box rather than per pair.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    limit = len(boxes) if max_output is None else max_output
    candidates = np.flatnonzero(scores > score_threshold)
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    # TensorFlow accepts corners in either order; so does this.
    lo = np.minimum(boxes[:, :2], boxes[:, 2:])[order]
    hi = np.maximum(boxes[:, :2], boxes[:, 2:])[order]
    areas = box_area(np.concatenate([lo, hi], axis=1))
    alive = np.ones(len(order), dtype=bool)
    keep: list[int] = []
    for i in range(len(order)):
        if len(keep) >= limit:
            break
        if not alive[i]:
            continue
        keep.append(int(order[i]))
        rest = np.flatnonzero(alive[i + 1 :]) + i + 1
        if len(rest) == 0:
            break
        inter = np.prod(
            np.clip(np.minimum(hi[i], hi[rest]) - np.maximum(lo[i], lo[rest]), 0, None), axis=1
        )
        union = areas[i] + areas[rest] - inter
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
        alive[rest[iou > iou_threshold]] = False
    return np.asarray(keep, dtype=np.int64)


def batched_nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    iou_threshold: float = 0.5,
    score_threshold: float = -np.inf,
    max_output: int | None = None,
) -> np.ndarray:
    """Per-class NMS: boxes of different classes never suppress each other.

    Returns the kept indices of all classes merged, highest score first.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    classes = np.asarray(classes).reshape(-1)
    kept = [
        members[nms(boxes[members], scores[members], iou_threshold, score_threshold)]
        for members in (np.flatnonzero(classes == c) for c in np.unique(classes))
    ]
    merged = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
    merged = merged[np.argsort(-scores[merged], kind="stable")]
    return merged if max_output is None else merged[:max_output]
