"""Runs: the workflow steps composed into a run folder."""

from dlworkflow.experiments.run import Prepared, Run, prepare, run

__all__ = ["Prepared", "Run", "prepare", "run"]
