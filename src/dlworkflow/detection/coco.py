"""COCO-style average precision, computed the way ``pycocotools`` computes it.

Same matching (detections by falling score take the best-IoU unmatched ground truth at
IoU ≥ t), same 101-point interpolated precision, same ``maxDets=100`` per image and
class, and classes without ground truth left out of the mean. The loops that
pycocotools runs per pair run here as array operations, one per detection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlworkflow.detection.boxes import pairwise_iou

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


@dataclass
class Boxes:
    """The boxes of one image: ``xyxy`` pixels, class ids and (for predictions) scores."""

    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, keep: np.ndarray) -> Boxes:
        scores = None if self.scores is None else self.scores[keep]
        return Boxes(self.boxes[keep], self.labels[keep], scores)


@dataclass
class Matches:
    """One image and class: detection scores (sorted, capped) and, per IoU threshold,
    whether each detection matched a ground truth; ``n_truth`` ground-truth boxes."""

    scores: np.ndarray
    matched: np.ndarray  # (T, D) bool
    n_truth: int


@dataclass
class CocoResult:
    precision: np.ndarray  # (T, 101, K): interpolated precision, −1 where a class has no truth
    recall: np.ndarray  # (T, K): final recall, −1 where a class has no truth
    class_names: list[str]

    @property
    def map(self) -> float:
        """mAP@[.5:.95], pycocotools' ``stats[0]``."""
        return _mean_valid(self.precision)

    @property
    def map50(self) -> float:
        """mAP@0.5, pycocotools' ``stats[1]``."""
        return _mean_valid(self.precision[0])

    @property
    def map75(self) -> float:
        return _mean_valid(self.precision[5])

    def per_class(self) -> dict[str, dict[str, float | None]]:
        """AP@[.5:.95], AP@0.5 and recall@0.5 of each class (None: no ground truth)."""
        table = {}
        for k, name in enumerate(self.class_names):
            valid = self.recall[0, k] > -1
            table[name] = {
                "ap": _mean_valid(self.precision[:, :, k]) if valid else None,
                "ap50": _mean_valid(self.precision[0, :, k]) if valid else None,
                "recall50": float(self.recall[0, k]) if valid else None,
            }
        return table

    def to_dict(self) -> dict:
        return {
            "map": self.map,
            "map50": self.map50,
            "map75": self.map75,
            "per_class": self.per_class(),
        }


def _mean_valid(values: np.ndarray) -> float:
    valid = values[values > -1]
    return float(valid.mean()) if valid.size else -1.0


def match_image(
    truth: Boxes,
    predicted: Boxes,
    label: int,
    thresholds: np.ndarray = IOU_THRESHOLDS,
    max_dets: int = 100,
) -> Matches | None:
    """pycocotools' ``evaluateImg`` for one image and class (None when both are empty)."""
    gt = truth.boxes[truth.labels == label]
    mine = predicted.labels == label
    if len(gt) == 0 and not mine.any():
        return None
    scores = predicted.scores[mine]
    order = np.argsort(-scores, kind="mergesort")[:max_dets]
    scores = scores[order]
    ious = pairwise_iou(predicted.boxes[mine][order], gt)
    limits = np.minimum(thresholds, 1 - 1e-10)
    taken = np.zeros((len(thresholds), len(gt)), dtype=bool)
    matched = np.zeros((len(thresholds), len(scores)), dtype=bool)
    if len(gt):
        rows = np.arange(len(thresholds))
        for d in range(len(scores)):
            candidates = np.where(taken, -1.0, ious[d][None, :])
            best = len(gt) - 1 - np.argmax(candidates[:, ::-1], axis=1)  # ties: the last
            ok = candidates[rows, best] >= limits
            matched[ok, d] = True
            taken[rows[ok], best[ok]] = True
    return Matches(scores, matched, len(gt))


def accumulate(
    records: Sequence[Matches | None], n_thresholds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolated precision (T, 101) and recall (T,) of one class over all its images."""
    records = [r for r in records if r is not None]
    n_truth = sum(r.n_truth for r in records)
    if n_truth == 0:
        return np.full((n_thresholds, len(RECALL_POINTS)), -1.0), np.full(n_thresholds, -1.0)
    scores = np.concatenate([r.scores for r in records])
    matched = np.concatenate([r.matched for r in records], axis=1)
    order = np.argsort(-scores, kind="mergesort")
    tp = np.cumsum(matched[:, order], axis=1, dtype=np.float64)
    fp = np.cumsum(~matched[:, order], axis=1, dtype=np.float64)
    precision = np.zeros((n_thresholds, len(RECALL_POINTS)))
    recall = np.zeros(n_thresholds)
    if len(scores) == 0:
        return precision, recall
    for t in range(n_thresholds):
        rc = tp[t] / n_truth
        pr = tp[t] / (tp[t] + fp[t] + np.spacing(1))
        pr = np.maximum.accumulate(pr[::-1])[::-1]  # precision envelope
        recall[t] = rc[-1]
        at = np.searchsorted(rc, RECALL_POINTS, side="left")
        inside = at < len(pr)
        precision[t, inside] = pr[at[inside]]
    return precision, recall


def coco_map(
    truths: Sequence[Boxes],
    predictions: Sequence[Boxes],
    class_names: Sequence[str],
    thresholds: np.ndarray = IOU_THRESHOLDS,
    max_dets: int = 100,
) -> CocoResult:
    """COCO box AP over all images (area range "all"), equal to pycocotools' numbers."""
    if len(truths) != len(predictions):
        raise ValueError(f"{len(truths)} images of truth but {len(predictions)} of predictions")
    k_count = len(class_names)
    precision = np.empty((len(thresholds), len(RECALL_POINTS), k_count))
    recall = np.empty((len(thresholds), k_count))
    for k in range(k_count):
        records = [
            match_image(t, p, k, thresholds, max_dets)
            for t, p in zip(truths, predictions, strict=True)
        ]
        precision[:, :, k], recall[:, k] = accumulate(records, len(thresholds))
    return CocoResult(precision, recall, list(class_names))


def to_coco_json(
    truths: Sequence[Boxes], predictions: Sequence[Boxes], class_names: Sequence[str]
) -> tuple[dict, list[dict]]:
    """The same boxes as a COCO ground-truth dataset and a results list (``xywh``)."""
    images, annotations, results = [], [], []
    for index, (truth, predicted) in enumerate(zip(truths, predictions, strict=True)):
        images.append({"id": index + 1, "width": 0, "height": 0})
        for box, label in zip(truth.boxes, truth.labels, strict=True):
            w, h = box[2] - box[0], box[3] - box[1]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": index + 1,
                    "category_id": int(label) + 1,
                    "bbox": [float(box[0]), float(box[1]), float(w), float(h)],
                    "area": float(w * h),
                    "iscrowd": 0,
                }
            )
        for box, label, score in zip(
            predicted.boxes, predicted.labels, predicted.scores, strict=True
        ):
            results.append(
                {
                    "image_id": index + 1,
                    "category_id": int(label) + 1,
                    "bbox": [
                        float(box[0]),
                        float(box[1]),
                        float(box[2] - box[0]),
                        float(box[3] - box[1]),
                    ],
                    "score": float(score),
                }
            )
    categories = [{"id": k + 1, "name": name} for k, name in enumerate(class_names)]
    return {"images": images, "annotations": annotations, "categories": categories}, results
