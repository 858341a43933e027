#!/usr/bin/env python
"""Sweep wall time with one run at a time vs ``--jobs 2`` worker processes.

The sweep: 8 small variants on the bundled digits (a 2 × 2 × 2 grid over the hidden
activation, the width and the batch size of a one-hidden-layer MLP, 15 epochs each,
full runs with report). Both modes run the same plan in fresh temporary folders in this
command; the figures are the wall time of each, per run, and the speed-up of jobs=2.
Worker processes pay their own TensorFlow start-up, and each gets cores // jobs
threads, so the speed-up depends on how much of a run is single-threaded Python
(bookkeeping, figures, the report) versus multi-threaded kernels.

    python benchmarks/sweep.py [--epochs 15] [--jobs 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import io
import tempfile
import time

from rich.console import Console

from dlworkflow.experiments import plan_sweep, run_sweep


def sweep_config(epochs: int) -> dict:
    return {
        "name": "bench-sweep",
        "data": {"source": "digits"},
        "model": {
            "layers": [
                {"Dense": {"units": 32, "activation": "relu"}},
                {"Dense": {"units": 10, "activation": "softmax"}},
            ]
        },
        "train": {"epochs": epochs, "learnability": False},
        "sweep": {
            "grid": {
                "model.layers[0].Dense.activation": ["relu", "tanh"],
                "model.layers[0].Dense.units": [32, 128],
                "train.batch_size": [16, 64],
            }
        },
    }


def timed_sweep(epochs: int, jobs: int) -> float:
    plan = plan_sweep(sweep_config(epochs))
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = run_sweep(plan, runs_dir=folder, jobs=jobs, console=Console(file=io.StringIO()))
        seconds = time.perf_counter() - started
    assert not result.failed, [outcome.message for outcome in result.failed]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    runs = len(plan_sweep(sweep_config(args.epochs)).runs)
    print(f"{runs} variants on digits, {args.epochs} epochs each, {os.cpu_count()} cores")
    sequential = timed_sweep(args.epochs, 1)
    print(f"jobs=1: {sequential:7.1f} s wall ({sequential / runs:.1f} s per run)")
    parallel = timed_sweep(args.epochs, args.jobs)
    print(f"jobs={args.jobs}: {parallel:7.1f} s wall ({parallel / runs:.1f} s per run)")
    print(f"speed-up jobs={args.jobs} vs jobs=1: {sequential / parallel:.2f}x")


if __name__ == "__main__":
    main()
