"""Steps 4–8 of the workflow: components that fit the task, can the model learn,
resumable training with an LR schedule, reading the curves, and the LR range test."""

from dlworkflow.train.components import CompilePlan, make_optimizer, plan_compile
from dlworkflow.train.diagnosis import diagnose
from dlworkflow.train.fit import TrainResult, fit
from dlworkflow.train.learnability import check_learnability
from dlworkflow.train.lr_finder import (
    LRFinderResult,
    find_lr,
    lr_finder_figure,
    lr_range_by_epoch,
    resolve_base_lr,
)
from dlworkflow.train.schedules import epoch_lrs, schedule_figure

__all__ = [
    "CompilePlan",
    "LRFinderResult",
    "TrainResult",
    "check_learnability",
    "diagnose",
    "epoch_lrs",
    "find_lr",
    "fit",
    "lr_finder_figure",
    "lr_range_by_epoch",
    "make_optimizer",
    "plan_compile",
    "resolve_base_lr",
    "schedule_figure",
]
