#!/usr/bin/env python
"""Time to 99.0 % / 99.4 % MNIST test accuracy: ``examples/mnist_fast.yaml`` against the
Keras "Simple MNIST convnet" example (keras.io/examples/vision/mnist_convnet).

Sides, alternating within each repeat:

* keras: the example as published — conv3×32, pool, conv3×64, pool, flatten, dropout
  0.5, softmax; Adam 1e-3, batch 128, validation_split 0.1, float32;
* fast-f32 / fast-bf16: the recipe's model, data split, optimizer and one-cycle schedule
  (dlworkflow's own ``prepare`` and ``ScheduleCallback``), with ``train.precision``
  float32 or mixed_bfloat16, through a bare ``model.fit`` (``benchmarks/overhead.py``
  measures what ``dlw run``'s loop adds to a bare fit).

After every epoch the test set is scored outside the clock; "train s" accumulates the
``fit`` epochs only (their validation included, as the example's fit does it).

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/time_to_accuracy.py \\
        [--epochs 10] [--keras-epochs 12] [--repeats 1] [--sides keras,fast-bf16]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")

import argparse
import statistics
import time
from pathlib import Path

import keras
import numpy as np
import yaml
from common import ROOT, check_mnist

import dlworkflow
from dlworkflow.experiments import prepare
from dlworkflow.train.schedules import ScheduleCallback

RECIPE = ROOT / "examples" / "mnist_fast.yaml"
TARGETS = (0.990, 0.994)


class TestClock(keras.callbacks.Callback):
    """Cumulative training seconds and test accuracy at each epoch end (scoring unclocked)."""

    def __init__(self, x_test: np.ndarray, y_test: np.ndarray) -> None:
        super().__init__()
        self.x_test, self.y_test = x_test, y_test
        self.seconds: list[float] = []
        self.accuracy: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        spent = time.perf_counter() - self._started
        self.seconds.append((self.seconds[-1] if self.seconds else 0.0) + spent)
        y_prob = self.model.predict(self.x_test, batch_size=1000, verbose=0)
        self.accuracy.append(float(np.mean(y_prob.argmax(axis=1) == self.y_test)))


def keras_example(epochs: int) -> TestClock:
    """The keras.io example, verbatim apart from the clock."""
    with np.load(os.path.join(os.environ["DLW_DATA_HOME"], "mnist.npz")) as data:
        x_train, y_train = data["x_train"], data["y_train"]
        x_test, y_test = data["x_test"], data["y_test"]
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    keras.utils.set_random_seed(42)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    clock = TestClock(x_test, y_test)
    model.fit(
        x_train,
        keras.utils.to_categorical(y_train, 10),
        batch_size=128,
        epochs=epochs,
        validation_split=0.1,
        callbacks=[clock],
        verbose=0,
    )
    return clock


def fast_recipe(precision: str, epochs: int, recipe: Path = RECIPE) -> TestClock:
    config = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    config["train"].update(precision=precision, epochs=epochs)
    prepared = prepare(dlworkflow.load_config(config))
    spec, dataset = prepared.config.train, prepared.dataset
    x, y = prepared.arrays(dataset.train)
    x_test, _ = prepared.arrays(dataset.test)
    steps = -(-len(x) // spec.batch_size)
    schedule = ScheduleCallback(spec.schedule, prepared.config.compile.optimizer.lr, epochs, steps)
    clock = TestClock(x_test, np.asarray(dataset.test.y))
    keras.utils.set_random_seed(prepared.config.seed)
    prepared.model.fit(
        x,
        y,
        batch_size=spec.batch_size,
        epochs=epochs,
        validation_data=prepared.arrays(dataset.val),
        callbacks=[schedule, clock],
        verbose=0,
    )
    return clock


def time_to(clock: TestClock, target: float) -> float | None:
    hits = [s for s, a in zip(clock.seconds, clock.accuracy, strict=True) if a >= target]
    return hits[0] if hits else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="recipe epochs (its schedule)")
    parser.add_argument("--keras-epochs", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--sides", default="keras,fast-f32,fast-bf16")
    parser.add_argument("--recipe", type=Path, default=RECIPE, help="the fast sides' config")
    args = parser.parse_args(argv)
    check_mnist()
    sides = args.sides.split(",")
    runners = {
        "keras": lambda: keras_example(args.keras_epochs),
        "fast-f32": lambda: fast_recipe("float32", args.epochs, args.recipe),
        "fast-bf16": lambda: fast_recipe("mixed_bfloat16", args.epochs, args.recipe),
    }
    print(f"keras {keras.__version__}, {os.cpu_count()} CPUs, {args.repeats} repeat(s)")
    results: dict[str, list[TestClock]] = {side: [] for side in sides}
    for repeat in range(args.repeats):
        for side in sides if repeat % 2 == 0 else sides[::-1]:
            keras.backend.clear_session()
            load = os.getloadavg()[0]
            clock = runners[side]()
            results[side].append(clock)
            print(
                f"\nrepeat {repeat + 1} {side} (load average {load:.1f} → {os.getloadavg()[0]:.1f})"
            )
            print("  epoch  train s  test acc")
            for epoch, (s, a) in enumerate(zip(clock.seconds, clock.accuracy, strict=True), 1):
                print(f"  {epoch:5d} {s:8.1f} {a:9.4f}")

    print(f"\n{'side':<10}" + "".join(f"{'to ' + f'{t:.1%}':>12}" for t in TARGETS) + "  best acc")
    medians: dict[str, list[float | None]] = {}
    for side, clocks in results.items():
        medians[side] = []
        for target in TARGETS:
            times = [time_to(c, target) for c in clocks]
            reached = [t for t in times if t is not None]
            medians[side].append(statistics.median(reached) if len(reached) == len(times) else None)
        best = max(max(c.accuracy) for c in clocks)
        cells = "".join(
            f"{m:11.1f}s" if m is not None else f"{'not reached':>12}" for m in medians[side]
        )
        print(f"{side:<10}{cells}  {best:.4f}")
    if "keras" in medians:
        for side in sides:
            if side == "keras":
                continue
            for target, mine, base in zip(TARGETS, medians[side], medians["keras"], strict=True):
                if mine is not None and base is not None:
                    print(f"{side} / keras to {target:.1%}: {mine / base:.2f}")


if __name__ == "__main__":
    main()
