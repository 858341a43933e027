"""Steps 4–6 of the workflow: components that fit the task, and resumable training."""

from dlworkflow.train.components import CompilePlan, make_optimizer, plan_compile
from dlworkflow.train.fit import TrainResult, fit

__all__ = ["CompilePlan", "TrainResult", "fit", "make_optimizer", "plan_compile"]
