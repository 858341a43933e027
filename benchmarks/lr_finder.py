#!/usr/bin/env python
"""Is the LR range test's suggestion any good? Compared with a grid of fixed rates.

For each setup (digits MLP, the tutorial's 5-5-1 circles model, the seeds' sigmoid
reference CNN and the notes' relu CNN on ``data.limit`` MNIST images) the same
initial weights are trained for the same
epochs at every rate of a grid and at each rule's suggestion; the script prints each
rate's final validation accuracy, the gap from each suggestion to the best grid
rate, and the range test's time against one epoch's (the first epoch includes
tracing, as the range test does; "later" is the mean of the other epochs). On the
small setups seed 002's epoch-wise test (``1e-4·10^(epoch/20)``, up to 100 epochs)
is compared too.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/lr_finder.py \
        [--only digits,circles,mnist,mnist_relu] [--mnist-limit 6000] [--mnist-epochs 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")  # never download: the figures need the local copy

import argparse
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import yaml

from dlworkflow.config import load_config
from dlworkflow.experiments import prepare
from dlworkflow.train import LRFinderResult, find_lr, lr_range_by_epoch
from dlworkflow.train.clone import training_copy

ROOT = Path(__file__).resolve().parents[1]
GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
RULES = ("valley", "steepest", "minimum/10", "lowest_loss")


def setups(mnist_limit: int, mnist_epochs: int) -> dict[str, tuple[dict[str, Any], int, bool]]:
    """Config, epochs and whether to run the epoch-wise test too, per setup; circles gets
    a validation split the tutorial lacks."""
    circles = yaml.safe_load((ROOT / "examples" / "binary_circles.yaml").read_text())
    circles["data"]["split"] = {"val": 0.2, "test": 0.2}
    circles["train"]["checkpoint"] = {"monitor": "val_loss"}
    mnist = yaml.safe_load((ROOT / "examples" / "mnist_reference_cnn.yaml").read_text())
    mnist["data"]["limit"] = mnist_limit
    relu = {**mnist, "name": "mnist-notes-cnn", "model": {"zoo": "notes_cnn"}}
    return {
        "digits": (load_config().model_dump(), 10, True),
        "circles": (circles, 20, True),
        "mnist": (mnist, mnist_epochs, False),
        "mnist_relu": (relu, mnist_epochs, False),
    }


def train(
    model: keras.Model, lr: float, data: dict[str, np.ndarray], epochs: int, batch: int, seed: int
) -> tuple[float, list[float]]:
    """Final validation accuracy at ``lr`` from the model's weights, and epoch times."""
    keras.utils.set_random_seed(seed)
    copy = training_copy(model)
    copy.optimizer.learning_rate = lr
    times: list[float] = []
    clock = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: times.append(-time.perf_counter()),
        on_epoch_end=lambda epoch, logs: times.__setitem__(-1, times[-1] + time.perf_counter()),
    )
    history = copy.fit(
        data["x"],
        data["y"],
        batch_size=batch,
        epochs=epochs,
        validation_data=(data["x_val"], data["y_val"]),
        callbacks=[clock],
        verbose=0,
    )
    return float(history.history["val_accuracy"][-1]), times


def bench(name: str, config: dict[str, Any], epochs: int, by_epoch: bool) -> None:
    prepared = prepare(load_config(config))
    dataset, seed = prepared.dataset, prepared.config.seed
    batch = prepared.config.train.batch_size
    data = dict(zip(("x", "y"), prepared.arrays(dataset.train), strict=True))
    data.update(zip(("x_val", "y_val"), prepared.arrays(dataset.val), strict=True))
    finder = find_lr(prepared.model, data["x"], data["y"], batch_size=batch, seed=seed)

    print(
        f"\n== {name}: {len(data['x'])} train / {len(data['x_val'])} validation, "
        f"batch {batch}, {epochs} epochs, {prepared.model.count_params():,} params"
    )
    grid: dict[float, float] = {}
    epoch_times: list[float] = []
    for lr in GRID:
        grid[lr], times = train(prepared.model, lr, data, epochs, batch, seed)
        epoch_times = epoch_times or times
        print(f"  lr {lr:<10.3g} val accuracy {grid[lr]:.4f}")
    best_lr = max(grid, key=grid.__getitem__)

    def compare(label: str, result: LRFinderResult, rules: tuple[str, ...]) -> None:
        if result.recommended is None:
            print(f"  {label:<24} no suggestion (the loss never fell by 10 %)")
        for rule in rules:
            lr = result.suggestions.get(rule)
            if lr is None:
                continue
            accuracy, _ = train(prepared.model, lr, data, epochs, batch, seed)
            mark = "  <- recommended" if rule == result.rule else ""
            print(
                f"  {label + ' ' + rule:<24} lr {lr:<9.3g} val accuracy {accuracy:.4f}  "
                f"gap to best grid ({best_lr:g}: {grid[best_lr]:.4f}) "
                f"{(accuracy - grid[best_lr]) * 100:+.2f} points{mark}"
            )

    compare("range test", finder, RULES[:3])
    if by_epoch:
        seed_002 = lr_range_by_epoch(
            prepared.model, data["x"], data["y"], batch_size=batch, seed=seed
        )
        compare("by epoch", seed_002, RULES)
        print(f"  by epoch: {len(seed_002.lrs)} epochs in {seed_002.seconds:.1f} s")
    later = np.mean(epoch_times[1:]) if len(epoch_times) > 1 else float("nan")
    print(
        f"  range test  {len(finder.lrs)} batches in {finder.seconds:.2f} s "
        f"(diverged: {finder.diverged}); one epoch {epoch_times[0]:.2f} s first, "
        f"{later:.2f} s later"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default="digits,circles,mnist,mnist_relu", help="comma-separated setups"
    )
    parser.add_argument("--mnist-limit", type=int, default=6000, help="MNIST images (data.limit)")
    parser.add_argument("--mnist-epochs", type=int, default=2)
    args = parser.parse_args(argv)
    chosen = setups(args.mnist_limit, args.mnist_epochs)
    for name in args.only.split(","):
        bench(name, *chosen[name])


if __name__ == "__main__":
    main()
