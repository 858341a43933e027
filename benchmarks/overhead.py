#!/usr/bin/env python
"""Training-time overhead of ``dlworkflow.run`` over a bare ``model.fit`` (target: <= 3 %).

Each repeat trains the course's reference MNIST CNN (``examples/mnist_reference_cnn.yaml``
with ``data.limit`` training images, unit scaling, batch 32) twice, on the same arrays,
validation data, batch size and seed:

* dlw:  ``dlworkflow.run`` into a temporary runs folder (per-epoch atomic checkpoints,
  history.csv, best-model copy, progress bar), timed as ``metrics["train_seconds"]`` (the
  ``fit`` call inside it) and as the wall time of the whole ``run()`` call (data loading,
  model build, final save, test evaluation and predictions included);
* bare: ``model.fit(verbose=0)`` on a model built, compiled and seeded by the same
  ``prepare`` step, timed around the ``fit`` call; its wall time is the bare script's
  (prepare, fit, ``model.evaluate`` on the test set).

The fixed cost of a run is its wall time outside ``fit``; dlw's is broken down by step
from ``metrics.json``'s ``step_seconds`` ("table, metrics, report" is what is left of
the wall after the timed steps).

The order alternates between repeats; the summary gives the median and the minimum.
Per-epoch times run to the end of each epoch's validation (dlw's own ``epoch_seconds``
history column); what dlw's fit spends outside them is its checkpoint and history writes.
Epoch 1 includes tracing the train function.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/overhead.py \
        [--epochs 5] [--limit 12000] [--repeats 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")  # never download: the figures need the local copy

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from common import check_mnist, mnist_cnn_config  # benchmarks/common.py

import dlworkflow
from dlworkflow.experiments import prepare


@dataclass
class Timing:
    fit: float  # seconds inside model.fit
    epochs: list[float]
    wall: float | None = None  # whole dlworkflow.run() call, or the bare script
    val_loss: float = float("nan")
    steps: dict[str, float] | None = None  # dlw: seconds per workflow step

    @property
    def fixed(self) -> float:
        """Wall time outside fit: what a run costs beyond training."""
        return (self.wall or 0.0) - self.fit

    @property
    def bookkeeping(self) -> float:
        """Time in fit outside the epochs themselves: dlw's checkpoint and history writes."""
        return self.fit - sum(self.epochs)


class EpochClock(keras.callbacks.Callback):
    """Marks the start of training and the end of each epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[float] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.marks = [time.perf_counter()]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.marks.append(time.perf_counter())

    @property
    def epochs(self) -> list[float]:
        return np.diff(self.marks).tolist()


def time_bare(config: dict[str, Any]) -> Timing:
    """``fit`` exactly as dlworkflow calls it, minus its callbacks, in a bare script."""
    script_started = time.perf_counter()
    prepared = prepare(dlworkflow.load_config(config))
    dataset, spec = prepared.dataset, prepared.config.train
    (x, y), validation = prepared.arrays(dataset.train), prepared.arrays(dataset.val)
    keras.utils.set_random_seed(prepared.config.seed)  # as dlworkflow's fit does
    clock = EpochClock()
    started = time.perf_counter()
    history = prepared.model.fit(
        x,
        y,
        batch_size=spec.batch_size,
        epochs=spec.epochs,
        validation_data=validation,
        shuffle=spec.shuffle,
        callbacks=[clock],
        verbose=0,
    )
    seconds = time.perf_counter() - started
    prepared.model.evaluate(*prepared.arrays(dataset.test), batch_size=spec.batch_size, verbose=0)
    wall = time.perf_counter() - script_started
    return Timing(seconds, clock.epochs, wall, history.history["val_loss"][-1])


def time_dlw(config: dict[str, Any]) -> Timing:
    """``dlworkflow.run``; per-epoch times come from its history (``epoch_seconds``)."""
    with tempfile.TemporaryDirectory(prefix="dlw-overhead-") as runs:
        started = time.perf_counter()
        result = dlworkflow.run(config, runs_dir=runs)
        wall = time.perf_counter() - started
    return Timing(
        result.metrics["train_seconds"],
        result.history["epoch_seconds"],
        wall,
        result.history["val_loss"][-1],
        result.metrics.get("step_seconds"),
    )


def percent(ratio: float) -> str:
    return f"{ratio:.3f} ({(ratio - 1) * 100:+.1f} %)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=12000, help="MNIST training images")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    check_mnist()
    config = mnist_cnn_config(args.epochs, args.limit)
    print(
        f"reference_cnn on {args.limit} MNIST images (val 1/6), batch 32, "
        f"{args.epochs} epochs, {args.repeats} repeat(s), keras {keras.__version__}, "
        f"{os.cpu_count()} CPUs"
    )

    bare: list[Timing] = []
    dlw: list[Timing] = []
    for repeat in range(args.repeats):
        order = ("bare", "dlw") if repeat % 2 == 0 else ("dlw", "bare")
        for side in order:
            keras.backend.clear_session()
            timing = time_bare(config) if side == "bare" else time_dlw(config)
            (bare if side == "bare" else dlw).append(timing)
            print(
                f"\nrepeat {repeat + 1} {side:>4}: fit {timing.fit:.2f} s, wall "
                f"{timing.wall:.2f} s, final val_loss {timing.val_loss:.4f}, "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            print("  epoch s: " + " ".join(f"{s:6.2f}" for s in timing.epochs))

    def later_epochs(timings: list[Timing]) -> list[float]:
        """Epochs after the first (which traces the graph), pooled over the repeats."""
        return [s for t in timings for s in (t.epochs[1:] or t.epochs)]

    rows = {
        "bare fit": [t.fit for t in bare],
        "dlw fit (train_seconds)": [t.fit for t in dlw],
        "bare script wall": [t.wall or 0.0 for t in bare],
        "dlw run() wall": [t.wall or 0.0 for t in dlw],
        "bare fixed (wall - fit)": [t.fixed for t in bare],
        "dlw fixed (wall - fit)": [t.fixed for t in dlw],
        "dlw fit outside epochs": [t.bookkeeping for t in dlw],
        "bare epoch (2nd on)": later_epochs(bare),
        "dlw epoch (2nd on)": later_epochs(dlw),
    }
    print(f"\n{'seconds':<26}{'median':>9}{'min':>9}   all")
    for name, values in rows.items():
        listed = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:<26}{statistics.median(values):9.2f}{min(values):9.2f}   {listed}")
    print_breakdown(dlw)
    print("\nratio dlw / bare (target: within 1.03)")
    for name, base in (
        ("dlw fit (train_seconds)", "bare fit"),
        ("dlw run() wall", "bare script wall"),
        ("dlw epoch (2nd on)", "bare epoch (2nd on)"),
    ):
        for stat in (statistics.median, min):
            ratio = stat(rows[name]) / stat(rows[base])
            print(f"{name + ' / ' + base + ',':<46} {stat.__name__:<6}: {percent(ratio)}")


def print_breakdown(dlw: list[Timing]) -> None:
    """dlw's fixed cost by step, medians over the repeats (fit shown for scale)."""
    names = list(dict.fromkeys(name for t in dlw for name in t.steps or {}))
    rows = {name: [(t.steps or {}).get(name, 0.0) for t in dlw] for name in names}
    rows["table, metrics, report"] = [(t.wall or 0.0) - sum((t.steps or {}).values()) for t in dlw]
    print(f"\n{'dlw step (median s)':<30}{'median':>9}   all")
    for name, values in rows.items():
        listed = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:<30}{statistics.median(values):9.2f}   {listed}")
    fixed = [t.fixed for t in dlw]
    print(f"{'fixed cost (all but fit)':<30}{statistics.median(fixed):9.2f}   target <= 3 s")


if __name__ == "__main__":
    main()
