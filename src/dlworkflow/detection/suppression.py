"""Greedy non-maximum suppression, class-agnostic and per class.

Same rule as ``tf.image.non_max_suppression``: visit boxes by falling score and keep
one unless its IoU with an already kept box is above ``iou_threshold``.
"""

from __future__ import annotations

import numpy as np

MAX_CANDIDATE_PAIRS = 5_000_000  # ~200 MB of pair arrays; beyond, the per-box sweep


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float = 0.5,
    score_threshold: float = -np.inf,
    max_output: int | None = None,
) -> np.ndarray:
    """Indices of the kept ``xyxy`` boxes, highest score first.

    Boxes scoring ``score_threshold`` or less are dropped first (TensorFlow's rule).
    The overlapping pairs are found at once (boxes sorted by left edge: only those
    starting before a box ends can overlap it), so the greedy pass is a walk over lists
    of neighbours; when nearly every box overlaps every other, one vector operation per
    kept box does the same job in less memory.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    limit = len(boxes) if max_output is None else max_output
    candidates = np.flatnonzero(scores > score_threshold)
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    # TensorFlow accepts corners in either order; so does this.
    lo = np.minimum(boxes[:, :2], boxes[:, 2:])[order]
    hi = np.maximum(boxes[:, :2], boxes[:, 2:])[order]
    neighbours = _overlapping_later(lo, hi, iou_threshold)
    if neighbours is None:
        kept = _sweep(lo, hi, iou_threshold, limit)
    else:
        kept = _walk(*neighbours, len(order), limit)
    return order[kept].astype(np.int64)


def _iou_rows(lo, hi, areas, i, others):
    inter = np.prod(
        np.clip(np.minimum(hi[i], hi[others]) - np.maximum(lo[i], lo[others]), 0, None), axis=-1
    )
    union = areas[i] + areas[others] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _overlapping_later(lo: np.ndarray, hi: np.ndarray, threshold: float):
    """CSR lists (starts, targets): for each box (in score order), the lower-scored boxes
    whose IoU with it is above ``threshold``; None when there are too many pairs."""
    n = len(lo)
    by_left = np.argsort(lo[:, 0], kind="stable")
    x1, y1, x2, y2 = (column[by_left] for column in (lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]))
    last = np.searchsorted(x1, x2, side="left")  # boxes starting before this one ends
    counts = np.maximum(last - np.arange(1, n + 1), 0)
    total = int(counts.sum())
    if total > MAX_CANDIDATE_PAIRS:
        return None
    a = np.repeat(np.arange(n, dtype=np.int64), counts)
    b = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts) + a + 1
    # rows first: most pairs that overlap in x do not in y, and leave here cheaply
    inter_y = np.minimum(y2[a], y2[b]) - np.maximum(y1[a], y1[b])
    overlap = inter_y > 0
    a, b, inter_y = a[overlap], b[overlap], inter_y[overlap]
    inter = np.clip(np.minimum(x2[a], x2[b]) - np.maximum(x1[a], x1[b]), 0, None) * inter_y
    areas = (x2 - x1) * (y2 - y1)
    union = areas[a] + areas[b] - inter
    iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
    a, b = by_left[a[iou > threshold]], by_left[b[iou > threshold]]  # back to score order
    source, target = np.minimum(a, b), np.maximum(a, b)  # the higher score suppresses
    sort = np.argsort(source, kind="stable")
    starts = np.searchsorted(source[sort], np.arange(n + 1))
    return starts, target[sort]


def _walk(starts: np.ndarray, targets: np.ndarray, n: int, limit: int) -> list[int]:
    alive = np.ones(n, dtype=bool)
    kept: list[int] = []
    for i in range(n):
        if len(kept) >= limit:
            break
        if alive[i]:
            kept.append(i)
            alive[targets[starts[i] : starts[i + 1]]] = False
    return kept


def _sweep(lo: np.ndarray, hi: np.ndarray, threshold: float, limit: int) -> list[int]:
    areas = np.prod(hi - lo, axis=1)
    alive = np.ones(len(lo), dtype=bool)
    kept: list[int] = []
    for i in range(len(lo)):
        if len(kept) >= limit:
            break
        if not alive[i]:
            continue
        kept.append(i)
        rest = np.flatnonzero(alive[i + 1 :]) + i + 1
        if len(rest) == 0:
            break
        alive[rest[_iou_rows(lo, hi, areas, i, rest) > threshold]] = False
    return kept


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
