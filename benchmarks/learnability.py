#!/usr/bin/env python
"""The learnability check (workflow step 5) and the first training epoch after it: the
check training the model itself and putting its state back (now), against the check
run on a clone of the model (as before), in one process, the two sides alternating.

The clone traces its own train step; the run's ``fit`` then traces the model's. In
place, ``fit`` reuses the step the check traced (same kind of input stream). Each side
builds the fast MNIST recipe (``examples/mnist_fast.yaml``, ``--limit`` training images)
afresh, runs the check, then one epoch of ``fit`` over the run's own stream.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/learnability.py \\
        [--limit 6000] [--repeats 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("DLW_OFFLINE", "1")

import argparse
import statistics
import time

import keras
import yaml
from common import ROOT, check_mnist

import dlworkflow
from dlworkflow.experiments import prepare
from dlworkflow.train.clone import training_copy
from dlworkflow.train.learnability import check_learnability
from dlworkflow.train.order import epoch_batches, steps_per_epoch


def check_and_first_epoch(config: dict, on_clone: bool) -> tuple[float, float]:
    """Seconds of the check and of the first epoch after it, on a freshly built model."""
    keras.backend.clear_session()
    prepared = prepare(dlworkflow.load_config(config))
    model, spec = prepared.model, prepared.config.train
    x, y = prepared.arrays(prepared.dataset.train)
    started = time.perf_counter()
    check_learnability(training_copy(model) if on_clone else model, x, y, 64, seed=42)
    checked = time.perf_counter()
    stream = epoch_batches(x, y, spec.batch_size, 42, 0, 1)
    steps = steps_per_epoch(len(x), spec.batch_size)
    model.fit(stream, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)
    return checked - started, time.perf_counter() - checked


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=6000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    check_mnist()
    config = yaml.safe_load((ROOT / "examples" / "mnist_fast.yaml").read_text(encoding="utf-8"))
    config["data"]["limit"] = args.limit
    config["train"]["epochs"] = 1
    totals: dict[str, list[float]] = {"in place": [], "on a clone": []}
    for repeat in range(args.repeats):
        order = ("in place", "on a clone") if repeat % 2 == 0 else ("on a clone", "in place")
        for side in order:
            check, epoch = check_and_first_epoch(config, side == "on a clone")
            totals[side].append(check + epoch)
            print(
                f"repeat {repeat + 1} {side:>10}: check {check:.2f} s + first epoch "
                f"{epoch:.2f} s = {check + epoch:.2f} s (load {os.getloadavg()[0]:.1f})"
            )
    for side, values in totals.items():
        print(f"{side:>10}: median {statistics.median(values):.2f} s, min {min(values):.2f} s")
    ratio = statistics.median(totals["in place"]) / statistics.median(totals["on a clone"])
    print(f"in place / on a clone (median of check + first epoch): {ratio:.2f}")


if __name__ == "__main__":
    main()
