"""What a detector got wrong, image by image, and what each image costs the mAP.

COCO's numbers say how good a detector is; these say where to look: every false
positive with the ground truth it overlapped best, every missed box, and the images
ranked by how much mAP@0.5 would rise if that one image were predicted perfectly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlworkflow.detection.boxes import pairwise_iou
from dlworkflow.detection.coco import Boxes, Matches, accumulate, match_image

MATCH_IOU = 0.5
LOCALISATION_IOU = 0.1  # a same-class overlap in [0.1, 0.5) is a box in the wrong place


def confusion_matrix(
    truths: Sequence[Boxes],
    predictions: Sequence[Boxes],
    num_classes: int,
    iou_threshold: float = MATCH_IOU,
    score_threshold: float = 0.25,
) -> np.ndarray:
    """Counts (K+1, K+1): rows the true class, columns the predicted one, the last of
    each the background (a missed box is (class, background); a box on nothing is
    (background, class)). Pairs are matched one-to-one, class-agnostic, highest IoU first.
    """
    counts = np.zeros((num_classes + 1, num_classes + 1), dtype=np.int64)
    for truth, predicted in zip(truths, predictions, strict=True):
        predicted = predicted.select(predicted.scores >= score_threshold)
        pairs = _one_to_one(pairwise_iou(truth.boxes, predicted.boxes), iou_threshold)
        for g, p in pairs:
            counts[truth.labels[g], predicted.labels[p]] += 1
        matched_truth = {g for g, _ in pairs}
        matched_pred = {p for _, p in pairs}
        for g in range(len(truth)):
            if g not in matched_truth:
                counts[truth.labels[g], num_classes] += 1
        for p in range(len(predicted)):
            if p not in matched_pred:
                counts[num_classes, predicted.labels[p]] += 1
    return counts


def _one_to_one(ious: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Greedy pairs (row, column) by falling IoU, each row and column used once."""
    rows, cols = np.nonzero(ious >= threshold)
    order = np.argsort(-ious[rows, cols], kind="stable")
    used_rows, used_cols, pairs = set(), set(), []
    for r, c in zip(rows[order], cols[order], strict=True):
        if r not in used_rows and c not in used_cols:
            pairs.append((int(r), int(c)))
            used_rows.add(r)
            used_cols.add(c)
    return pairs


def image_mistakes(
    truth: Boxes,
    predicted: Boxes,
    class_names: Sequence[str],
    score_threshold: float = 0.25,
    iou_threshold: float = MATCH_IOU,
) -> dict:
    """The false positives, false negatives and true positives of one image.

    A prediction matches the unmatched same-class truth it overlaps most (IoU ≥
    ``iou_threshold``), in falling score order, as in COCO. Each false positive says why:
    ``duplicate`` (its truth was already taken), ``wrong class`` (it sits on a box of
    another class), ``localisation`` (right class, IoU between 0.1 and the threshold)
    or ``background``.
    """
    predicted = predicted.select(np.flatnonzero(predicted.scores >= score_threshold))
    predicted = predicted.select(np.argsort(-predicted.scores, kind="mergesort"))
    ious = pairwise_iou(predicted.boxes, truth.boxes)
    same = predicted.labels[:, None] == truth.labels[None, :]
    taken = np.zeros(len(truth), dtype=bool)
    true_pos, false_pos = [], []
    for p in range(len(predicted)):
        candidates = np.where(same[p] & ~taken, ious[p], -1.0)
        g = int(np.argmax(candidates)) if len(truth) else -1
        entry = {
            "box": _rounded(predicted.boxes[p]),
            "class": class_names[predicted.labels[p]],
            "score": round(float(predicted.scores[p]), 4),
        }
        if g >= 0 and candidates[g] >= iou_threshold:
            taken[g] = True
            true_pos.append({**entry, "iou": round(float(ious[p, g]), 4)})
            continue
        best = int(np.argmax(ious[p])) if len(truth) else -1
        best_iou = float(ious[p, best]) if best >= 0 else 0.0
        same_iou = ious[p][same[p]].max(initial=0.0)
        if same_iou >= iou_threshold:
            kind = "duplicate"
        elif best_iou >= iou_threshold:
            kind = "wrong class"
        elif same_iou >= LOCALISATION_IOU:
            kind = "localisation"
        else:
            kind = "background"
        false_pos.append(
            {
                **entry,
                "kind": kind,
                "best_iou": round(best_iou, 4),
                "overlapped_class": class_names[truth.labels[best]] if best_iou > 0 else None,
            }
        )
    false_neg = []
    for g in np.flatnonzero(~taken):
        overlaps = ious[:, g]
        best = int(np.argmax(overlaps)) if len(predicted) else -1
        best_iou = float(overlaps[best]) if best >= 0 else 0.0
        false_neg.append(
            {
                "box": _rounded(truth.boxes[g]),
                "class": class_names[truth.labels[g]],
                "best_iou": round(best_iou, 4),
                "nearest_prediction": class_names[predicted.labels[best]] if best_iou > 0 else None,
            }
        )
    return {"true_positives": true_pos, "false_positives": false_pos, "false_negatives": false_neg}


def _rounded(box: np.ndarray) -> list[float]:
    return [round(float(v), 2) for v in box]


def map50_costs(
    truths: Sequence[Boxes], predictions: Sequence[Boxes], num_classes: int
) -> tuple[float, np.ndarray]:
    """mAP@0.5 and, per image, how much it would rise without that image's mistakes
    (its unmatched predictions and its missed boxes taken away, its hits kept).

    The per-image COCO matches are computed once; each image's cost only re-runs the
    cheap accumulation with that image's matches swapped for its hits alone.
    """
    thresholds = np.array([MATCH_IOU])
    records = [
        [match_image(t, p, k, thresholds) for t, p in zip(truths, predictions, strict=True)]
        for k in range(num_classes)
    ]

    def map50(per_class: list[list[Matches | None]]) -> float:
        aps = [accumulate(r, 1)[0][0] for r in per_class]
        valid = [ap.mean() for ap in aps if ap[0] > -1]
        return float(np.mean(valid)) if valid else -1.0

    base = map50(records)
    costs = np.zeros(len(truths))
    for i in range(len(truths)):
        swapped = []
        for per_image in records:
            row = list(per_image)
            row[i] = _hits_only(row[i])
            swapped.append(row)
        costs[i] = map50(swapped) - base
    return base, costs


def _hits_only(record: Matches | None) -> Matches | None:
    if record is None:
        return None
    hits = record.matched[0]
    return Matches(record.scores[hits], record.matched[:, hits], int(hits.sum()))


def rank_images(
    truths: Sequence[Boxes],
    predictions: Sequence[Boxes],
    class_names: Sequence[str],
    names: Sequence[str],
    score_threshold: float = 0.25,
) -> list[dict]:
    """Every image with a mistake, costliest first: its mistakes and its mAP@0.5 cost."""
    _, costs = map50_costs(truths, predictions, len(class_names))
    ranked = []
    for i in np.argsort(-costs, kind="stable"):
        mistakes = image_mistakes(truths[i], predictions[i], class_names, score_threshold)
        if not mistakes["false_positives"] and not mistakes["false_negatives"]:
            continue
        ranked.append(
            {
                "image": names[i],
                "index": int(i),
                "map50_cost": round(float(costs[i]), 6),
                **mistakes,
            }
        )
    return ranked
