"""A sequence run (``task: forecast`` or ``task: text``) into an ordinary run folder.

The shape is the image/table run's — prepare and check everything before the folder
exists, then learnability, fit, diagnosis, evaluation, report — with the task's own data,
models and evaluation. Besides what every run writes, ``sequence.json`` records what
prediction replays (the series' columns, windows and scaler; the text vocabulary) and
the task's evaluation (baselines; most-confused texts and word neighbours).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dlworkflow import runfolder
from dlworkflow.config import ExperimentConfig
from dlworkflow.errors import BadInput
from dlworkflow.experiments.folder import Run, open_run_folder
from dlworkflow.experiments.preparation import prepare_sequence
from dlworkflow.experiments.timing import StepClock
from dlworkflow.experiments.tracking import TrackingOptions
from dlworkflow.experiments.workflow_steps import TaskHooks, run_steps


def run_sequence(
    config: ExperimentConfig,
    runs_dir: Path,
    console: Console,
    origin: str = "",
    tracking: TrackingOptions | None = None,
) -> Run:
    """Run a ``task: forecast`` or ``task: text`` config into ``runs_dir/<name>/``
    (resuming it if it was cut off); ``tracking`` mirrors it as a plain run does."""
    clock = StepClock()
    try:
        plan = prepare_sequence(config)
    except BadInput as error:
        raise BadInput(f"{origin}{error}") from None
    clock.lap("prepare")
    hooks = TaskHooks(
        lambda model, split_name, _, y_prob, figures: plan.evaluate(
            model, split_name, y_prob, figures
        ),
        records={runfolder.SEQUENCE: plan.record},  # written after the evaluation adds to it
        extra=plan.extra,
    )
    with open_run_folder(
        config, plan.dataset, runs_dir, console, survey=plan.survey, model=plan.model
    ) as (folder, resuming):
        clock.lap("folder and survey")
        return run_steps(plan, hooks, folder, resuming, console, tracking, clock)
