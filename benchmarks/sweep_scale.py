#!/usr/bin/env python
"""Sweep wall time: one run at a time, ``--jobs 2`` processes, and Ray tasks on a 2-CPU
local cluster.

The sweep is ``benchmarks/sweep.py``'s: 8 variants of a one-hidden-layer MLP on the
bundled digits (full runs with report). Each mode runs the same plan into a fresh
temporary folder; with ``--rounds N`` the modes alternate N times. The Ray figure is
end to end: it includes starting the local cluster (``ray.init(num_cpus=2)``) and its
workers, one fresh process per run as with ``--jobs``. The load average is printed
before and after, because the figures depend on what else the machine is doing.

    python benchmarks/sweep_scale.py [--epochs 15] [--rounds 1]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import io
import statistics
import tempfile
import time

from rich.console import Console
from sweep import sweep_config  # benchmarks/sweep.py

from dlworkflow.experiments import plan_sweep, run_sweep


def timed(epochs: int, mode: str) -> float:
    plan = plan_sweep(sweep_config(epochs))
    quiet = Console(file=io.StringIO())
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        if mode == "ray":
            import ray

            ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
            try:
                result = run_sweep(plan, runs_dir=folder, console=quiet, executor="ray")
            finally:
                ray.shutdown()
        else:
            result = run_sweep(plan, runs_dir=folder, jobs=int(mode[-1]), console=quiet)
        seconds = time.perf_counter() - started
    assert not result.failed, [outcome.message for outcome in result.failed]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    runs = len(plan_sweep(sweep_config(args.epochs)).runs)
    print(f"{runs} runs on digits, {args.epochs} epochs each, {os.cpu_count()} cores")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    modes = ["jobs=1", "jobs=2", "ray"]
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode in modes:
            times[mode].append(timed(args.epochs, mode))
            print(f"  {mode:7} {times[mode][-1]:7.1f} s", flush=True)
    print("load average after:  {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    base = statistics.median(times["jobs=1"])
    for mode in modes:
        wall = statistics.median(times[mode])
        print(f"{mode:7} {wall:7.1f} s wall (median)  {base / wall:.2f}x jobs=1")
    ray_vs_jobs2 = statistics.median(times["ray"]) / statistics.median(times["jobs=2"])
    print(f"ray / jobs=2 wall time: {ray_vs_jobs2:.2f} (target: within 1.10)")


if __name__ == "__main__":
    main()
