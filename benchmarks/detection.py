#!/usr/bin/env python
"""Detection building blocks against their references, timed in the same process.

1. Greedy NMS on N random boxes (default 10,000) against
   ``tf.image.non_max_suppression``: time ratio and whether the kept indices are
   identical; sparse (corners over 1000², most kept) and dense (corners in 100², the
   same sizes: most suppressed).
2. Pairwise IoU of N×1,000 boxes against the same matrix in TensorFlow ops.
3. COCO mAP on M images of predictions (default 5,000; ~3 truths and ~6 predictions
   each, 5 classes) against ``pycocotools`` (evaluate + accumulate + summarize):
   time ratio and the largest difference of mAP@[.5:.95] and mAP@0.5.

Sides alternate, repeats keep the best time. ``--train``: also the shapes example's
training time to mAP@0.5 ≥ 0.8 (one dlw run of examples/detection_shapes.yaml).
``--raccoon``: only the raccoon detector: a small CNN pretrained on CIFAR-10 here (no
weights are downloaded), its conv base under the detector at 128×128, mAP@0.5 on the
author's 40-image test split.

    python benchmarks/detection.py [--boxes 10000] [--images 5000] [--repeats 3] [--train]
    DLW_DATA_HOME=../shared/datasets python benchmarks/detection.py --raccoon [--flip]
    (add --fine-tune to unfreeze the CNN)
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import contextlib
import io
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from dlworkflow.detection import nms, pairwise_iou
from dlworkflow.detection.coco import Boxes, coco_map, to_coco_json

ROOT = Path(__file__).resolve().parents[1]


def best_of(repeats: int, *sides):
    """Run the sides alternately ``repeats`` times; the best time and last result of each."""
    times = [np.inf] * len(sides)
    results = [None] * len(sides)
    for _ in range(repeats):
        for i, side in enumerate(sides):
            start = time.perf_counter()
            results[i] = side()
            times[i] = min(times[i], time.perf_counter() - start)
    return times, results


def random_boxes(rng: np.random.Generator, n: int, extent: float = 1000) -> np.ndarray:
    """Corners anywhere in ``extent``², sides 5 to 60."""
    corner = rng.uniform(0, extent, (n, 2))
    return np.concatenate([corner, corner + rng.uniform(5, 60, (n, 2))], axis=1)


def bench_nms(n: int, repeats: int, extent: float = 1000) -> None:
    """``extent``: the side of the square the boxes fall in (small: dense overlaps)."""
    rng = np.random.default_rng(0)
    boxes = random_boxes(rng, n, extent).astype(np.float32)
    scores = rng.uniform(size=n).astype(np.float32)
    yx = tf.constant(boxes[:, [1, 0, 3, 2]])
    tf_scores = tf.constant(scores)
    (mine, theirs), (kept, reference) = best_of(
        repeats,
        lambda: nms(boxes, scores, 0.5),
        lambda: tf.image.non_max_suppression(yx, tf_scores, n, 0.5).numpy(),
    )
    same = np.array_equal(kept, reference)
    print(
        f"NMS, {n:,} boxes in {extent:g}², IoU 0.5: dlworkflow {mine * 1e3:.1f} ms, TensorFlow "
        f"{theirs * 1e3:.1f} ms (ratio {mine / theirs:.2f}×), kept {len(kept):,}, "
        f"identical indices: {same}"
    )


def bench_iou(n: int, repeats: int) -> None:
    rng = np.random.default_rng(1)
    a, b = random_boxes(rng, n), random_boxes(rng, 1000)

    def tf_iou():
        x, y = tf.constant(a)[:, None, :], tf.constant(b)[None, :, :]
        low, high = tf.maximum(x[..., :2], y[..., :2]), tf.minimum(x[..., 2:], y[..., 2:])
        inter = tf.reduce_prod(tf.maximum(high - low, 0.0), axis=-1)
        area = lambda z: (z[..., 2] - z[..., 0]) * (z[..., 3] - z[..., 1])  # noqa: E731
        return (inter / (area(x) + area(y) - inter)).numpy()

    (mine, theirs), (got, reference) = best_of(repeats, lambda: pairwise_iou(a, b), tf_iou)
    print(
        f"pairwise IoU, {n:,}×1,000: dlworkflow {mine * 1e3:.1f} ms, TensorFlow ops "
        f"{theirs * 1e3:.1f} ms (ratio {mine / theirs:.2f}×), max |difference| "
        f"{np.abs(got - reference).max():.1e}"
    )


def synthetic(images: int, classes: int = 5):
    rng = np.random.default_rng(2)
    truths, predictions = [], []
    for _ in range(images):
        n = rng.integers(1, 6)
        truth = random_boxes(rng, n)
        labels = rng.integers(0, classes, n)
        near = truth + rng.normal(0, 4, truth.shape)
        near[:, 2:] = np.maximum(near[:, 2:], near[:, :2] + 1)  # corners stay ordered
        junk = random_boxes(rng, rng.integers(0, 6))
        boxes = np.concatenate([near, junk])
        predicted = np.concatenate([labels, rng.integers(0, classes, len(junk))])
        truths.append(Boxes(truth, labels))
        predictions.append(Boxes(boxes, predicted, rng.uniform(size=len(boxes))))
    return truths, predictions, [f"class{k}" for k in range(classes)]


def bench_map(images: int, repeats: int) -> None:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    truths, predictions, names = synthetic(images)
    dataset, results = to_coco_json(truths, predictions, names)

    def reference():
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO()
            gt.dataset = dataset
            gt.createIndex()
            evaluation = COCOeval(gt, gt.loadRes(results), "bbox")
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
        return evaluation.stats

    (mine, theirs), (result, stats) = best_of(
        repeats, lambda: coco_map(truths, predictions, names), reference
    )
    difference = max(abs(result.map - stats[0]), abs(result.map50 - stats[1]))
    print(
        f"COCO mAP, {images:,} images, {sum(map(len, predictions)):,} predictions: dlworkflow "
        f"{mine:.2f} s, pycocotools {theirs:.2f} s (ratio {mine / theirs:.2f}×), "
        f"mAP {result.map:.4f} vs {stats[0]:.4f}, max |difference| {difference:.1e}"
    )


def bench_training() -> None:
    import json

    from rich.console import Console

    from dlworkflow.experiments import run

    with tempfile.TemporaryDirectory() as runs:
        start = time.perf_counter()
        result = run(ROOT / "examples" / "detection_shapes.yaml", runs, Console(stderr=True))
        total = time.perf_counter() - start
        metrics = json.loads((result.folder / "metrics.json").read_text())
    print(
        f"shapes detector: mAP@0.5 {metrics['map50']:.4f} (mAP {metrics['map']:.4f}) after "
        f"{metrics['epochs_run']} epochs; training {metrics['train_seconds']:.0f} s, "
        f"whole run {total:.0f} s"
    )


def bench_raccoon(
    pretrain_limit: int, pretrain_epochs: int, epochs: int, freeze: bool, flip: bool
) -> None:
    """A CIFAR-10 CNN pretrained here, then the raccoon detector on its conv base at
    128×128, scored on the author's 40 test images."""
    import json

    from transfer import CONV_BASE, HEAD  # the transfer benchmark's pretrained network

    from dlworkflow.experiments import run

    with tempfile.TemporaryDirectory() as runs:
        start = time.perf_counter()
        pretrained = run(
            {
                "name": "cifar10-cnn",
                "data": {"source": "cifar10", "limit": pretrain_limit, "split": {"val": 0.1}},
                "model": {
                    "layers": [
                        *CONV_BASE,
                        *HEAD,
                        {"Dense": {"units": 10}},
                        {"Activation": {"activation": "softmax"}},
                    ]
                },
                "train": {"epochs": pretrain_epochs, "batch_size": 32, "learnability": False},
            },
            runs_dir=runs,
        )
        pretrain_seconds = time.perf_counter() - start
        detector = run(
            {
                "name": "raccoon-detector",
                "task": "detection",
                "seed": 0,
                "data": {
                    "source": "raccoon",
                    "image_size": 128,
                    "split": {"val": 0.1},
                    "flip": flip,
                },
                "model": {
                    "width": 32,
                    "backbone": {"source": f"run:{pretrained.folder}"},
                    "freeze": freeze,
                },
                "compile": {"optimizer": {"name": "adam", "lr": 0.001}},
                "train": {"epochs": epochs, "batch_size": 16},
            },
            runs_dir=runs,
        )
        metrics = json.loads((detector.folder / "metrics.json").read_text())
        keep = Path(tempfile.gettempdir()) / "dlw-raccoon-detector"
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(detector.folder, keep)
    accuracy = pretrained.metrics.get("accuracy", float("nan"))
    print(
        f"raccoon detector ({'frozen' if freeze else 'fine-tuned'} CIFAR-10 CNN from "
        f"{pretrain_limit:,} images × {pretrain_epochs} epochs, test accuracy {accuracy:.3f}, "
        f"{pretrain_seconds:.0f} s{'; mirrored copies added' if flip else ''}): "
        f"mAP@0.5 {metrics['map50']:.4f}, mAP {metrics['map']:.4f} "
        f"on the author's 40 test images after {metrics['epochs_run']} epochs "
        f"({metrics['train_seconds']:.0f} s); run copied to {keep}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--raccoon", action="store_true", help="only the raccoon detector")
    parser.add_argument("--pretrain-limit", type=int, default=6000)
    parser.add_argument("--pretrain-epochs", type=int, default=6)
    parser.add_argument("--raccoon-epochs", type=int, default=40)
    parser.add_argument("--fine-tune", action="store_true", help="raccoon: unfreeze the CNN")
    parser.add_argument("--flip", action="store_true", help="raccoon: add mirrored copies")
    args = parser.parse_args()
    if args.raccoon:
        bench_raccoon(
            args.pretrain_limit,
            args.pretrain_epochs,
            args.raccoon_epochs,
            not args.fine_tune,
            args.flip,
        )
        return
    bench_nms(args.boxes, args.repeats)
    bench_nms(args.boxes, args.repeats, extent=100)  # dense: most boxes overlap
    bench_iou(args.boxes, args.repeats)
    bench_map(args.images, args.repeats)
    if args.train:
        bench_training()


if __name__ == "__main__":
    main()
