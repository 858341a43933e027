"""Orchestrators: the workflow's steps composed into run folders (ordinary and transfer
runs), sweeps of many runs, evaluation of a finished run on other data, and advice."""

from dlworkflow.experiments.advice import diagnose_run
from dlworkflow.experiments.folder import Run
from dlworkflow.experiments.other_data import evaluate_run
from dlworkflow.experiments.preparation import Prepared, prepare
from dlworkflow.experiments.resolve import resolve_model
from dlworkflow.experiments.runner import run
from dlworkflow.experiments.sweep import SweepPlan, plan_sweep
from dlworkflow.experiments.sweep_runner import SweepResult, run_sweep
from dlworkflow.experiments.tracking import TrackingOptions

__all__ = [
    "Prepared",
    "Run",
    "SweepPlan",
    "SweepResult",
    "TrackingOptions",
    "diagnose_run",
    "evaluate_run",
    "plan_sweep",
    "prepare",
    "resolve_model",
    "run",
    "run_sweep",
]
