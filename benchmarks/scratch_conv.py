#!/usr/bin/env python
"""Convolution by loops against im2col (``dlworkflow.scratch``), and Keras' Conv2D.

The same gray image (random, fixed seed) and 3×3 kernel through ``conv2d_loops``,
``conv2d`` (im2col) and ``keras.layers.Conv2D`` (float64, one image); the three
alternate within each repeat, and the summary gives the median seconds and the ratio
of the loops to im2col. Results are checked equal before anything is timed.

    python benchmarks/scratch_conv.py [--size 128] [--repeats 5]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import statistics
import time

import numpy as np

from dlworkflow.scratch import KERNELS, conv2d, conv2d_loops
from dlworkflow.scratch.keras_twin import keras_conv2d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="image side in pixels")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    image = np.random.default_rng(0).random((args.size, args.size)) * 255
    kernel = KERNELS["sobel-x"]
    sides = {
        "loops": lambda: conv2d_loops(image, kernel, 1, "same"),
        "im2col": lambda: conv2d(image, kernel, 1, "same"),
        "keras Conv2D": lambda: keras_conv2d(image, kernel, 1, "same"),  # builds the layer too
    }
    reference = sides["im2col"]()
    for name, side in sides.items():
        assert np.max(np.abs(side() - reference)) < 1e-9, name  # also warms Keras up
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    for repeat in range(args.repeats):
        order = list(sides) if repeat % 2 == 0 else list(reversed(sides))
        for name in order:
            started = time.perf_counter()
            sides[name]()
            seconds[name].append(time.perf_counter() - started)
    print(f"{args.size}×{args.size} image, 3×3 kernel, median of {args.repeats} repeats")
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    for name, median in medians.items():
        print(f"  {name:13s} {median * 1e3:10.2f} ms")
    print(f"  loops / im2col: {medians['loops'] / medians['im2col']:.0f}×")


if __name__ == "__main__":
    main()
