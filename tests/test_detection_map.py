"""COCO mAP equals pycocotools on the same boxes."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from dlworkflow.detection.coco import Boxes, coco_map, to_coco_json

pycocotools = pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402


def synthetic_predictions(seed: int, images: int, classes: int):
    """Truth boxes and noisy predictions: jittered hits, misses, wrong classes, background."""
    rng = np.random.default_rng(seed)
    truths, predictions = [], []
    for _ in range(images):
        n = rng.integers(0, 6)
        corner = rng.uniform(0, 200, (n, 2))
        truth = np.concatenate([corner, corner + rng.uniform(8, 80, (n, 2))], axis=1)
        labels = rng.integers(0, classes, n)
        keep = rng.uniform(size=n) > 0.2
        jitter = truth[keep] + rng.normal(0, 6, (keep.sum(), 4))
        jitter[:, 2:] = np.maximum(jitter[:, 2:], jitter[:, :2] + 1)
        flip = rng.uniform(size=keep.sum()) < 0.1
        pred_labels = np.where(flip, rng.integers(0, classes, keep.sum()), labels[keep])
        extra = rng.integers(0, 4)
        corner = rng.uniform(0, 200, (extra, 2))
        junk = np.concatenate([corner, corner + rng.uniform(5, 60, (extra, 2))], axis=1)
        boxes = np.concatenate([jitter, junk])
        scores = np.concatenate([rng.uniform(0.3, 1, len(jitter)), rng.uniform(0, 0.7, extra)])
        truths.append(Boxes(truth, labels))
        predictions.append(
            Boxes(boxes, np.concatenate([pred_labels, rng.integers(0, classes, extra)]), scores)
        )
    return truths, predictions


def pycocotools_stats(truths, predictions, names) -> COCOeval:
    dataset, results = to_coco_json(truths, predictions, names)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = dataset
        gt.createIndex()
        dt = gt.loadRes(results) if results else COCO()
        evaluation = COCOeval(gt, dt, "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_map_equals_pycocotools(seed: int) -> None:
    names = ["a", "b", "c", "d"]
    truths, predictions = synthetic_predictions(seed, 60, len(names))
    reference = pycocotools_stats(truths, predictions, names)
    mine = coco_map(truths, predictions, names)
    assert mine.map == pytest.approx(reference.stats[0], abs=1e-4)
    assert mine.map50 == pytest.approx(reference.stats[1], abs=1e-4)
    assert mine.map75 == pytest.approx(reference.stats[2], abs=1e-4)
    full = reference.eval["precision"][:, :, :, 0, 2]  # area all, maxDets 100
    np.testing.assert_allclose(mine.precision, full, atol=1e-4)
    np.testing.assert_allclose(mine.recall, reference.eval["recall"][:, :, 0, 2], atol=1e-4)


def test_a_class_without_truth_is_left_out_and_perfect_scores_one() -> None:
    truths = [Boxes([[0, 0, 10, 10]], [0]), Boxes([[5, 5, 30, 40]], [0])]
    predictions = [Boxes(t.boxes, t.labels, [0.9]) for t in truths]
    result = coco_map(truths, predictions, ["cat", "never"])
    assert result.map == pytest.approx(1.0)
    assert result.per_class()["never"]["ap"] is None
