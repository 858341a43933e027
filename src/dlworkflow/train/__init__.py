"""Steps 4–8 of the workflow: components that fit the task, can the model learn,
resumable training with an LR schedule, reading the curves, and the LR range test.

Names are imported on first use, so ``train.spec`` (the config schema) stays light.
"""

from dlworkflow.lazy import exports

_MODULES = {
    "CompilePlan": "components",
    "make_optimizer": "components",
    "plan_compile": "components",
    "diagnose": "diagnosis",
    "TrainResult": "loop",
    "fit": "loop",
    "check_learnability": "learnability",
    "LRFinderResult": "lr_finder",
    "find_lr": "lr_finder",
    "lr_finder_figure": "lr_finder",
    "lr_range_by_epoch": "lr_finder",
    "resolve_base_lr": "lr_finder",
    "epoch_lrs": "schedules",
    "schedule_figure": "schedules",
    "CompileSpec": "spec",
    "TrainSpec": "spec",
    "ScheduleSpec": "spec",
    "OptimizerSpec": "spec",
}
__all__ = sorted(_MODULES)
__getattr__ = exports(__name__, _MODULES)
