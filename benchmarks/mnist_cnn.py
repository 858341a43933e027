#!/usr/bin/env python
"""The course's reference MNIST CNN through ``dlworkflow.run``: time and test scores.

Runs ``examples/mnist_reference_cnn.yaml`` (conv3x32 sigmoid x2, max-pool, dense 128,
softmax; 50,000 train / 10,000 validation, Adam, batch 32, 10 epochs) and prints the
epochs run, the wall time of ``run()``, the seconds per epoch inside ``fit``, the best
epoch (by val_loss, whose model is the one evaluated) and the accuracy and loss on the
10,000 MNIST test images, beside the seeds' reference (98.88 % after 10 epochs).
``--limit`` trains on fewer images (the test set stays whole) for a quick run.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/mnist_cnn.py \
        [--epochs 10] [--limit N] [--runs-dir runs/bench]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")  # never download: the figures need the local copy

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from common import check_mnist, mnist_cnn_config  # benchmarks/common.py

import dlworkflow

REFERENCE_ACCURACY, REFERENCE_EPOCHS = 0.9888, 10


def bench(config: dict[str, Any], runs_dir: Path) -> None:
    started = time.perf_counter()
    result = dlworkflow.run(config, runs_dir=runs_dir)
    wall = time.perf_counter() - started
    m = result.metrics
    epochs, full = m["epochs_run"], config["data"].get("limit") is None
    if m["resumed_from_epoch"]:
        print(
            f"warning: resumed {result.folder} at epoch {m['resumed_from_epoch']}; "
            "the times cover the remaining epochs only"
        )
    same = full and epochs == REFERENCE_EPOCHS
    print(f"run folder        {result.folder}")
    print(
        f"train images      {len(result.dataset.train.y)} "
        f"(validation {len(result.dataset.val.y) if result.dataset.val else 0})"
    )
    print(f"epochs            {epochs}")
    print(f"wall time         {wall:.1f} s (run(), all steps)")
    print(f"training time     {m['train_seconds']:.1f} s")
    print(f"seconds per epoch {m['train_seconds'] / max(epochs - m['resumed_from_epoch'], 1):.1f}")
    print(f"best epoch        {m['best_epoch']} (by val_loss; its model is evaluated)")
    print(
        f"{m['split']} accuracy     {m['accuracy'] * 100:.2f} %   "
        f"reference {REFERENCE_ACCURACY * 100:.2f} % after {REFERENCE_EPOCHS} epochs"
        + ("" if same else " on the full data (not comparable with this run)")
    )
    print(f"{m['split']} loss         {m['loss']:.4f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="default: as in the YAML (10)")
    parser.add_argument("--limit", type=int, default=None, help="MNIST training images to use")
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=None,
        help="keep the run folder here (default: a temporary folder)",
    )
    args = parser.parse_args(argv)
    check_mnist()
    config = mnist_cnn_config(args.epochs, args.limit)
    if args.runs_dir is not None:
        bench(config, args.runs_dir)
        return
    with tempfile.TemporaryDirectory(prefix="dlw-bench-") as runs:
        bench(config, Path(runs))


if __name__ == "__main__":
    main()
