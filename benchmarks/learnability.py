#!/usr/bin/env python
"""The learnability check (workflow step 5) on the reference MNIST CNN: its scoring by
one eager forward pass (now) against the traced ``test_on_batch`` + ``predict_on_batch``
it used before, in one process, the two sides alternating.

    DLW_DATA_HOME=/work/shared/datasets python benchmarks/learnability.py [--repeats 3]
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
from common import check_mnist, mnist_cnn_config

import dlworkflow
from dlworkflow.experiments import prepare
from dlworkflow.train import learnability


def traced_scores(model, x, y, regression):
    """The previous scoring: a traced test function and a traced predict function."""
    loss = float(model.test_on_batch(x, y, return_dict=True)["loss"])
    if regression:
        return loss, None
    predicted = learnability._classes(model.predict_on_batch(x))
    return loss, float(np.mean(predicted == learnability._classes(y)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    check_mnist()
    prepared = prepare(dlworkflow.load_config(mnist_cnn_config(1, 6000)))
    x, y = prepared.arrays(prepared.dataset.train)
    eager = learnability._scores
    times: dict[str, list[float]] = {"eager": [], "traced": []}
    for repeat in range(args.repeats):
        for side in ("eager", "traced") if repeat % 2 == 0 else ("traced", "eager"):
            learnability._scores = eager if side == "eager" else traced_scores
            keras.backend.clear_session()
            started = time.perf_counter()
            result = learnability.check_learnability(prepared.model, x, y, 64, seed=42)
            times[side].append(time.perf_counter() - started)
            print(
                f"repeat {repeat + 1} {side:>6}: {times[side][-1]:.2f} s, {result['steps']} steps, "
                f"passed {result['passed']}, load average {os.getloadavg()[0]:.1f}"
            )
    for side, values in times.items():
        print(f"{side:>6}: median {statistics.median(values):.2f} s, min {min(values):.2f} s")
    ratio = statistics.median(times["eager"]) / statistics.median(times["traced"])
    print(f"eager / traced (median): {ratio:.2f}")


if __name__ == "__main__":
    main()
