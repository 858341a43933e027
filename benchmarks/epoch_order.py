#!/usr/bin/env python
"""Cost of exact resumption's sample order: ``epoch_batches`` (a tf.data stream whose
order is a function of seed and epoch) against Keras' own ``shuffle=True`` on the same
arrays.

Each repeat trains the same freshly built model for ``--epochs`` epochs both ways on
MNIST (``--limit`` images, flattened, unit scaled, batch 32: many small steps, so the
per-batch Python cost shows as much as it can), the order alternating between repeats.
Prints seconds per epoch (epoch 1, which traces the train function, left out) and the
ratio ordered / keras.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/epoch_order.py \\
        [--model mlp|cnn] [--epochs 3] [--limit 12000] [--repeats 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")

import argparse
import statistics
import time

import keras
import numpy as np
from common import check_mnist  # benchmarks/common.py

from dlworkflow.data import load_dataset
from dlworkflow.train.order import epoch_batches, steps_per_epoch


class EpochTimes(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.times.append(time.perf_counter() - self.started)


def build(kind: str, shape: tuple[int, ...]) -> keras.Model:
    keras.utils.set_random_seed(0)
    if kind == "mlp":
        layers = [keras.layers.Flatten(), keras.layers.Dense(128, activation="relu")]
    else:
        layers = [
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
        ]
    model = keras.Sequential([keras.Input(shape), *layers, keras.layers.Dense(10, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def timed(kind: str, x: np.ndarray, y: np.ndarray, epochs: int, ordered: bool) -> float:
    model = build(kind, x.shape[1:])
    times = EpochTimes()
    if ordered:
        batches = epoch_batches(x, y, 32, 0, 0, epochs)
        steps = steps_per_epoch(len(x), 32)
        model.fit(
            batches,
            epochs=epochs,
            steps_per_epoch=steps,
            shuffle=False,
            callbacks=[times],
            verbose=0,
        )
    else:
        model.fit(x, y, batch_size=32, epochs=epochs, shuffle=True, callbacks=[times], verbose=0)
    return statistics.mean(times.times[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=12000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    check_mnist()
    dataset = load_dataset({"source": "mnist", "limit": args.limit, "scale": "unit"})
    x, y = dataset.preprocessing.apply(dataset.train.x), dataset.train.y
    print(f"{args.model} on {len(x)} MNIST images, batch 32, {args.epochs} epochs per side")
    results: dict[str, list[float]] = {"keras": [], "ordered": []}
    for repeat in range(args.repeats):
        sides = ("keras", "ordered") if repeat % 2 == 0 else ("ordered", "keras")
        for side in sides:
            results[side].append(timed(args.model, x, y, args.epochs, side == "ordered"))
        print(
            f"repeat {repeat + 1}: keras {results['keras'][-1]:.3f} s/epoch, "
            f"ordered {results['ordered'][-1]:.3f} s/epoch"
        )
    keras_s, ordered_s = (statistics.median(results[k]) for k in ("keras", "ordered"))
    print(
        f"median: keras {keras_s:.3f} s/epoch, ordered {ordered_s:.3f} s/epoch, "
        f"ratio ordered/keras {ordered_s / keras_s:.3f}"
    )


if __name__ == "__main__":
    main()
