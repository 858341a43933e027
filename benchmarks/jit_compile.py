#!/usr/bin/env python
"""XLA on this CPU: one training epoch of the zoo's ``fast_cnn`` with Keras'
``jit_compile=True`` against ``False`` (what Keras' ``"auto"`` chooses on a CPU-only
machine), in float32 and mixed_bfloat16.

Issue 18 asked to try XLA for the fast MNIST recipe and keep it if it measures faster.
Each repeat builds the model afresh for both sides (alternating their order), traces
it on two batches outside the clock, then times one epoch over ``--images`` random
28×28 images, batch 128. Random data is enough: the step time does not depend on it.

    python benchmarks/jit_compile.py [--images 5120] [--repeats 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import statistics
import time

import keras
import numpy as np

from dlworkflow.models.head import Head
from dlworkflow.models.zoo import fast_cnn

BATCH = 128


def epoch_seconds(x: np.ndarray, y: np.ndarray, jit: bool) -> float:
    """Seconds of one epoch of a freshly built and traced ``fast_cnn``."""
    keras.utils.set_random_seed(0)
    model = fast_cnn(x.shape[1:], Head(10, "softmax"))
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=jit)
    model.fit(x[: 2 * BATCH], y[: 2 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=40 * BATCH)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((args.images, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, args.images)
    print(f"keras {keras.__version__}, {os.cpu_count()} CPUs, {args.images} images, batch {BATCH}")
    for policy in ("float32", "mixed_bfloat16"):
        keras.mixed_precision.set_dtype_policy(policy)
        seconds: dict[bool, list[float]] = {False: [], True: []}
        for repeat in range(args.repeats):
            for jit in (False, True) if repeat % 2 == 0 else (True, False):
                seconds[jit].append(epoch_seconds(x, y, jit))
        plain, xla = statistics.median(seconds[False]), statistics.median(seconds[True])
        print(
            f"{policy:15s} no XLA {plain:6.2f} s   XLA {xla:6.2f} s   "
            f"XLA / no XLA {xla / plain:.2f}   (load {os.getloadavg()[0]:.1f})"
        )
    keras.mixed_precision.set_dtype_policy("float32")


if __name__ == "__main__":
    main()
