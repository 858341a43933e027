#!/usr/bin/env python
"""Time to evaluate and build the report, excluding the model's predictions (target: < 5 s
for MNIST).

Two cases, each a real one-epoch run whose evaluation and report are then timed again
on their own: the MNIST test set (10,000 predictions, 10 classes, image figures and the
misclassified gallery), and a synthetic 100-class case (blobs with 8 features, 6,000 test
points) where the confusion matrix is 100×100. Predictions are timed separately.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/report.py [--repeats 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import dlworkflow
from dlworkflow.evaluate.evaluation import evaluate_predictions, save_training_curves
from dlworkflow.experiments.runner import predict_with
from dlworkflow.report import build_report

CASES = {
    "mnist (10 classes)": {
        "name": "bench-mnist",
        "data": {"source": "mnist", "limit": 3000},
        "model": {"zoo": "mlp", "options": {"hidden": [64]}},
        "train": {"epochs": 1},
    },
    "blobs (100 classes)": {
        "name": "bench-blobs",
        "data": {
            "source": "blobs",
            "options": {"centers": 100, "n_samples": 30000, "n_features": 8},
        },
        "model": {"zoo": "mlp", "options": {"hidden": [64]}},
        "train": {"epochs": 1},
    },
}


def time_case(config: dict, repeats: int, runs: Path) -> tuple[int, float, list[float]]:
    run = dlworkflow.run(config, runs_dir=runs)
    split = run.dataset.test
    predict = predict_with(run.model)
    x = run.dataset.preprocessing.apply(split.x)
    started = time.perf_counter()
    y_prob = predict(x)
    predict_seconds = time.perf_counter() - started
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        figures = run.folder / "figures"
        evaluate_predictions(run.dataset, split, y_prob, figures, predict)
        save_training_curves(run.history, run.metrics["best_epoch"], figures)
        build_report(run.folder)
        timings.append(time.perf_counter() - started)
    return len(split), predict_seconds, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'case':<22}{'test samples':>13}{'predict s':>11}{'eval+report s (median, min)':>30}")
    with tempfile.TemporaryDirectory(prefix="dlw-report-bench-") as runs:
        for name, config in CASES.items():
            samples, predict_seconds, timings = time_case(config, args.repeats, Path(runs))
            median, best = statistics.median(timings), min(timings)
            print(f"{name:<22}{samples:>13,}{predict_seconds:>11.2f}{median:>18.2f}{best:>12.2f}")


if __name__ == "__main__":
    main()
