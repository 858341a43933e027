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
from rich.markup import escape

from dlworkflow import runfolder
from dlworkflow.atomic import write_json, write_npz, write_with
from dlworkflow.config import ExperimentConfig
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.evaluation import save_training_curves
from dlworkflow.experiments.advice import run_diagnostics
from dlworkflow.experiments.folder import (
    Run,
    close_run_folder,
    open_run_folder,
    saved_learnability,
)
from dlworkflow.experiments.preparation import evaluation_split, prepare_sequence
from dlworkflow.experiments.sequence_plan import SequencePlan
from dlworkflow.experiments.tracking import Tracker, TrackingOptions
from dlworkflow.models.picture import save_drawings
from dlworkflow.train import fit
from dlworkflow.train.learnability import check_learnability


def run_sequence(
    config: ExperimentConfig,
    runs_dir: Path,
    console: Console,
    origin: str = "",
    tracking: TrackingOptions | None = None,
) -> Run:
    """Run a ``task: forecast`` or ``task: text`` config into ``runs_dir/<name>/``
    (resuming it if it was cut off); ``tracking`` mirrors it as a plain run does."""
    try:
        plan = prepare_sequence(config)
    except BadInput as error:
        raise BadInput(f"{origin}{error}") from None
    with open_run_folder(
        config, plan.dataset, runs_dir, console, survey=plan.survey, model=plan.model
    ) as (folder, resuming):
        return _train_and_score(plan, config, folder, resuming, console, tracking)


def _train_and_score(
    plan: SequencePlan,
    config: ExperimentConfig,
    folder: Path,
    resuming: bool,
    console: Console,
    tracking: TrackingOptions | None,
) -> Run:
    dataset = plan.dataset
    figures = folder / runfolder.FIGURES
    train = plan.arrays(dataset.train)
    validation = plan.arrays(dataset.val) if dataset.val is not None else None
    learnability = saved_learnability(folder) if resuming else None
    if config.train.learnability and not resuming:
        batch = min(64, len(train[0]))
        learnability = check_learnability(plan.model, *train, batch, seed=config.seed)
        write_json(folder / runfolder.DIAGNOSTICS, {"learnability": learnability})
        console.print(
            f"can it learn? {escape(learnability['verdict'])}", soft_wrap=True, highlight=False
        )
    tracker = Tracker(tracking or TrackingOptions(), folder, config)
    result = fit(
        plan.model,
        train,
        validation,
        config.train,
        folder,
        config.seed,
        console,
        tracker.callbacks(),
    )
    diagnostics = run_diagnostics(config, dataset, result, learnability, figures)
    write_json(folder / runfolder.DIAGNOSTICS, diagnostics)
    model = result.model
    write_with(folder / runfolder.MODEL, model.save)
    _, graph_warning = save_drawings(model, figures)
    if graph_warning:
        console.print(f"[yellow]warning:[/yellow] {escape(graph_warning)}", soft_wrap=True)
    split_name, split = evaluation_split(dataset)
    batch = config.train.batch_size
    scores = model.evaluate(*plan.arrays(split), batch_size=batch, verbose=0, return_dict=True)
    y_prob = model.predict(split.x, batch_size=batch, verbose=0)
    write_npz(folder / runfolder.PREDICTIONS, y_true=split.y, y_prob=y_prob)
    evaluation = plan.evaluate(model, split_name, y_prob, figures)
    save_training_curves(result.history, result.best_epoch, figures)
    write_json(folder / runfolder.SEQUENCE, plan.record)
    metrics = {
        "split": split_name,
        **{name: float(value) for name, value in scores.items()},
        "evaluation": evaluation,
        **result.facts(),
        **plan.extra,
    }
    close_run_folder(folder, model, metrics)
    tracker.finish(metrics)
    return Run(folder, config, dataset, model, result.history, metrics)
