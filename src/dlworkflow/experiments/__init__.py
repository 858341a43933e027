"""Runs: the workflow steps composed into a run folder; sweeps of many runs."""

from dlworkflow.experiments.run import Prepared, Run, prepare, run
from dlworkflow.experiments.sweep import SweepPlan, plan_sweep
from dlworkflow.experiments.sweep_runner import SweepResult, run_sweep
from dlworkflow.experiments.tracking import TrackingOptions

__all__ = [
    "Prepared",
    "Run",
    "SweepPlan",
    "SweepResult",
    "TrackingOptions",
    "plan_sweep",
    "prepare",
    "run",
    "run_sweep",
]
